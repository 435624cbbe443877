# swiftnet — the two entry points of the README, plus helpers.
.PHONY: setup build demo test bench clean

setup:
	scripts/setup.sh

build: setup
	swift build -c release

# Main job: detect objects in sample images (annotated copies in out/).
demo: build
	scripts/demo.sh

# All tests, optimised (numeric tests are slow in debug builds).
test:
	scripts/setup.sh --test
	swift test -c release -Xswiftc -enable-testing

# Speed of the forward pass (see docs/benchmarks.md).
bench: build
	scripts/bench.sh

clean:
	rm -rf .build out
