# Shortcuts for the scripts in deploy/; the scripts work without make.
.PHONY: build demo test

build:
	go build -o bin/ ./cmd/...

demo:
	deploy/demo.sh

test:
	deploy/test.sh
