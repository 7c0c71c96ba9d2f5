"""Client-facing tests: real browsers, a generated SDK and a schema fuzzer against a live server."""
