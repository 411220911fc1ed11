package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// env is what a command reads and writes, so tests can run commands in process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// runFunc runs a leaf command with its positional arguments.
type runFunc func(ctx context.Context, args []string) error

// command is a subcommand: either a group of subcommands or a leaf whose
// setup declares its flags on fs and returns the function that runs it.
type command struct {
	name    string
	args    string // positional arguments, for the usage line
	summary string
	nargs   [2]int // least and most positional arguments; most < 0 means any
	setup   func(fs *flag.FlagSet, e *env) runFunc
	subs    []*command
}

// usageError makes the CLI exit with 2, like a bad flag.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// execute runs the command line args (without the program name) and returns
// the exit code.
func execute(ctx context.Context, root *command, args []string, e *env) int {
	if len(args) > 0 && args[0] == "help" {
		c, path, err := find(root, args[1:])
		if err != nil {
			fmt.Fprintf(e.stderr, "thermogate: %v\n", err)
			return exitUsage
		}
		printUsage(e.stdout, c, path, e)
		return exitOK
	}
	return dispatch(ctx, root, "thermogate", args, e)
}

func dispatch(ctx context.Context, c *command, path string, args []string, e *env) int {
	if c.subs != nil {
		if len(args) == 0 {
			printUsage(e.stderr, c, path, e)
			return exitUsage
		}
		switch args[0] {
		case "-h", "-help", "--help":
			printUsage(e.stdout, c, path, e)
			return exitOK
		}
		sub := c.sub(args[0])
		if sub == nil {
			fmt.Fprintf(e.stderr, "%s: unknown command %q\nRun '%s -h' for the list.\n", path, args[0], path)
			return exitUsage
		}
		return dispatch(ctx, sub, path+" "+sub.name, args[1:], e)
	}

	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := c.setup(fs, e)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(e.stdout, c, path, e)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "%s: %v\nRun '%s -h' for help.\n", path, err, path)
		return exitUsage
	}
	if n := fs.NArg(); n < c.nargs[0] || (c.nargs[1] >= 0 && n > c.nargs[1]) {
		fmt.Fprintf(e.stderr, "%s: %s\nusage: %s\n", path, argCountProblem(c, fs.Args()), usageLine(c, path))
		return exitUsage
	}
	if err := run(ctx, fs.Args()); err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", path, err)
		if errors.As(err, new(usageError)) {
			return exitUsage
		}
		return exitFailed
	}
	return exitOK
}

func argCountProblem(c *command, args []string) string {
	if len(args) < c.nargs[0] {
		return fmt.Sprintf("missing %s", c.args)
	}
	extra := args[c.nargs[1]:]
	if len(extra) > 0 && strings.HasPrefix(extra[0], "-") {
		return fmt.Sprintf("flag %s after the arguments: flags come first", extra[0])
	}
	return fmt.Sprintf("unexpected argument %q", extra[0])
}

func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// find walks the command tree along names, for `thermogate help a b`.
func find(root *command, names []string) (*command, string, error) {
	c, path := root, "thermogate"
	for _, n := range names {
		s := c.sub(n)
		if s == nil {
			return nil, "", fmt.Errorf("no help for %q: '%s' has no command %q", strings.Join(names, " "), path, n)
		}
		c, path = s, path+" "+n
	}
	return c, path, nil
}

func usageLine(c *command, path string) string {
	if c.subs != nil {
		return path + " <command> [flags] [arguments]"
	}
	line := path + " [flags]"
	if c.args != "" {
		line += " " + c.args
	}
	return line
}

func printUsage(w io.Writer, c *command, path string, e *env) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", usageLine(c, path), c.summary)
	if c.subs != nil {
		fmt.Fprintf(w, "\ncommands:\n")
		for _, s := range c.subs {
			fmt.Fprintf(w, "  %-12s %s\n", s.name, firstLine(s.summary))
		}
		fmt.Fprintf(w, "\nRun '%s <command> -h' for the flags of one command.\n", path)
		return
	}
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	c.setup(fs, e)
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintf(w, "\nflags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
