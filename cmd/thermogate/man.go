package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// manPage renders thermogate(1), in roff, from the command tree itself:
// every command's usage line, summary and flags, as `thermogate help`
// shows them, so the manual cannot say other than the help. The package
// ships it (deploy/thermogate.1); TestManPageCurrent keeps that file equal
// to this, and `make man` writes it.
func manPage(root *command) string {
	var b strings.Builder
	b.WriteString(`.\" Generated from thermogate's own help (cmd/thermogate/man.go) by make man. Do not edit.
.TH THERMOGATE 1 "" "thermogate" "User Commands"
.SH NAME
thermogate \- entrance health\-screening kiosk: touchscreen, daemon, simulator and administrator's tools
.SH SYNOPSIS
.B thermogate
.I command
.RI [ flags ]
.RI [ arguments ]
.br
.B thermogate help
.RI [ command ...]
.SH DESCRIPTION
`)
	b.WriteString(roffText(root.summary))
	b.WriteString(".PP\nFlags come before the arguments. Every command takes \\fB\\-h\\fR for its help.\n")
	b.WriteString(".SH COMMANDS\n")
	var walk func(c *command, path string)
	walk = func(c *command, path string) {
		if c.subs != nil {
			for _, s := range c.subs {
				walk(s, path+" "+s.name)
			}
			return
		}
		fmt.Fprintf(&b, ".SS %s\n", roffQuote(usageLine(c, path)))
		b.WriteString(roffText(c.summary))
		fs := flag.NewFlagSet(path, flag.ContinueOnError)
		c.setup(fs, &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			if name != "" {
				b.WriteString(".TP\n.BI \"\\-\\-" + roffEscape(f.Name) + " \" " + roffEscape(name) + "\n")
			} else {
				b.WriteString(".TP\n.B \\-\\-" + roffEscape(f.Name) + "\n")
			}
			if isZeroDefault(f) {
				b.WriteString(roffText(usage))
			} else {
				b.WriteString(roffText(fmt.Sprintf("%s (default %s)", usage, quoteDefault(f))))
			}
		})
	}
	walk(root, "thermogate")
	b.WriteString(`.SH EXIT STATUS
0 when the command did its work, 1 when it failed (the reason is on standard error),
2 for a usage error: an unknown command or flag, a missing or extra argument.
.SH FILES
.TP
.I /etc/thermogate/config.toml
the configuration (\fBthermogate config default\fR prints every setting with its default)
.TP
.I /var/lib/thermogate
the kiosk's database, admin socket and nightly exports, readable by the user thermogate alone
.SH SEE ALSO
.I /usr/share/doc/thermogate/README.md
(installing, wiring, calibration, troubleshooting)
`)
	return b.String()
}

// isZeroDefault reports whether a flag's default is not worth printing, as
// the flag package decides for its own help.
func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "0s":
		return true
	}
	return false
}

func quoteDefault(f *flag.Flag) string {
	if _, ok := f.Value.(interface{ IsBoolFlag() bool }); ok {
		return f.DefValue
	}
	if strings.ContainsAny(f.DefValue, " \t") || f.DefValue == "" {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

// roffEscape makes text literal for roff: backslashes, hyphens (a plain -
// may be set as a hyphen, not the minus of a flag) and characters beyond
// ASCII (°, —), as groff's named Unicode characters.
func roffEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r > 127:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// roffText is a paragraph of text: escaped, with no line starting with a
// control character, and a blank line of the source as a paragraph break.
func roffText(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			b.WriteString(".PP\n")
			continue
		}
		line = roffEscape(line)
		if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
			line = `\&` + line
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func roffQuote(s string) string {
	return `"` + strings.ReplaceAll(roffEscape(s), `"`, `\(dq`) + `"`
}
