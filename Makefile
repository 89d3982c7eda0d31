# The two commands of the README:
#   make run   - install what is missing, build a release binary, run it on port 6379
#   make test  - the same set-up, then every test (unit, command, integration)
BUILD_DIR ?= build
JOBS ?= 2

.PHONY: setup build run test bench clean

setup:
	@bash scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/tessera-server redis.conf.example

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 1

bench: build
	@for b in $(BUILD_DIR)/bench/*_bench; do $$b; done

clean:
	rm -rf $(BUILD_DIR)
