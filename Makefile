# Convenience targets; each is one of the scripts the README documents.
LAB ?= lab
INVENTORY := inventories/$(LAB)

.PHONY: lab lab-down lab-info test lint unit sanity molecule bench deps

lab:            ## bring up the lab and run site.yml on it (LAB=lab-ha for multi-host)
	bash lab/lab.sh up $(INVENTORY)
lab-down:       ## remove the lab's hosts
	bash lab/lab.sh down $(INVENTORY)
lab-info:
	bash lab/lab.sh info $(INVENTORY)
deps:
	bash lab/bootstrap.sh
test:           ## the whole suite, as CI runs it
	bash tests/run-all.sh
lint: deps
	.venv/bin/yamllint -s . && PATH=$(CURDIR)/.venv/bin:$$PATH ansible-lint
unit: deps
	.venv/bin/pytest
sanity: deps
	bash tests/sanity.sh
molecule: deps   ## e.g. make molecule S=base
	PATH=$(CURDIR)/.venv/bin:$$PATH CONTAINERS_CONF=$(CURDIR)/lab/containers.conf .venv/bin/molecule test -s $(S)
bench: deps
	bash bench/converge.sh
