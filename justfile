# The front door: `just` lists the recipes.

default:
    @just --list

# Run the demo: every failure polling misses, injected into a simulated VOMO, and who caught it.
demo *ARGS:
    cargo run -p reconciler -- demo {{ARGS}}

# Run the demo's customers as a service, with the health page and API on a local port.
serve-demo PORT="8090":
    cargo run -p reconciler -- demo --serve --port {{PORT}}

# Run every test, as CI does.
test:
    cargo test --workspace

# Run the benchmarks and print their figures (docs/benchmarks.md records them).
bench:
    cargo bench -p reconciler
    cargo bench -p vomo-sim

# Check every plugin this repository builds.
plugins:
    cargo run -p reconciler -- plugins list target/plugins/wasm32-wasip2/release

# Format the code.
fmt:
    cargo fmt --all

# Lint the code.
lint:
    cargo clippy --workspace --all-targets -- -D warnings
