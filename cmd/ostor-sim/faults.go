package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

// faultUsage is the help text of the -fault flag.
const faultUsage = "inject a fault into operation OP, once per OP: `OP=ACTION` is " +
	"OP=drop (apply the write, then close the connection), " +
	"OP=status:CODE (answer CODE, 400-599, without handling), or OP=latency:DURATION; " +
	"append ,times=N to stop after N requests or ,after=N to pass N requests first. " +
	"OP is an admin operation such as users.create, or * for every request"

// faultFlag collects the -fault flags as ostortest faults by operation name.
type faultFlag map[string]ostortest.Fault

func (f faultFlag) String() string {
	specs := make([]string, 0, len(f))
	for op, fault := range f {
		specs = append(specs, fmt.Sprintf("%s=%+v", op, fault))
	}
	slices.Sort(specs)
	return strings.Join(specs, " ")
}

// Set parses one OP=ACTION[,times=N][,after=N] value.
func (f faultFlag) Set(value string) error {
	op, spec, ok := strings.Cut(value, "=")
	if !ok || op == "" || spec == "" {
		return fmt.Errorf("%q lacks an operation or an action: write OP=ACTION, e.g. users.create=drop or users.genKey=status:503", value)
	}
	if op != ostortest.AnyOp && !slices.Contains(ostor.Operations(), op) {
		return fmt.Errorf("unknown operation %q: use * or one of %s", op, strings.Join(ostor.Operations(), ", "))
	}
	if _, exists := f[op]; exists {
		return fmt.Errorf("operation %q has two faults: give one -fault per operation", op)
	}

	parts := strings.Split(spec, ",")
	fault, err := parseFaultAction(parts[0])
	if err != nil {
		return fmt.Errorf("fault %q: %w", value, err)
	}
	for _, option := range parts[1:] {
		if err := setFaultOption(&fault, option); err != nil {
			return fmt.Errorf("fault %q: %w", value, err)
		}
	}
	f[op] = fault
	return nil
}

// parseFaultAction parses drop, status:CODE or latency:DURATION.
func parseFaultAction(action string) (ostortest.Fault, error) {
	name, argument, _ := strings.Cut(action, ":")
	switch name {
	case "drop":
		return ostortest.Fault{DropAfterApply: true}, nil
	case "status":
		code, err := strconv.Atoi(argument)
		if err != nil || code < 400 || code > 599 {
			return ostortest.Fault{}, fmt.Errorf("invalid status %q: use an HTTP error status from 400 to 599, e.g. status:503", argument)
		}
		return ostortest.Fault{Status: code}, nil
	case "latency":
		delay, err := time.ParseDuration(argument)
		if err != nil || delay <= 0 {
			return ostortest.Fault{}, fmt.Errorf("invalid latency %q: use a positive duration, e.g. latency:2s", argument)
		}
		return ostortest.Fault{Latency: delay}, nil
	}
	return ostortest.Fault{}, fmt.Errorf("unknown action %q: use drop, status:CODE or latency:DURATION", action)
}

// setFaultOption parses times=N or after=N into fault.
func setFaultOption(fault *ostortest.Fault, option string) error {
	name, argument, _ := strings.Cut(option, "=")
	count, err := strconv.Atoi(argument)
	if err != nil || count < 1 {
		return fmt.Errorf("invalid option %q: use times=N or after=N with a whole number N of 1 or more", option)
	}
	switch name {
	case "times":
		fault.Times = count
	case "after":
		fault.After = count
	default:
		return fmt.Errorf("unknown option %q: use times=N or after=N", option)
	}
	return nil
}
