// Package localefix makes the locale that Fyne reads at start well-formed,
// so that no command prints Fyne's "Error parsing user locale C".
//
// Fyne's lang package, in its init, reads the user's language the way its
// go-locale dependency does: the first of LC_ALL, LC_MESSAGES and LANG that
// is set; then, unless that is C or POSIX, LANGUAGE if set (even when
// none of the three is). It cuts the
// encoding and turns "ll_RR" into "ll-RR", and logs an error (three lines on
// stderr) for a result that is not a BCP 47 tag, as "C" from LANG=C.UTF-8,
// the locale of SSH sessions, cron, systemd services and CI.
//
// Importing this package from package main fixes that before Fyne's init
// runs: when the locale Fyne would read is not well-formed, it sets
// LANGUAGE to "en" (or drops the ill-formed entries of LANGUAGE). LANGUAGE
// is the one variable with no effect on the C library's locale (only on
// gettext's choice of message language, which C and C.UTF-8 keep in
// English anyway), so programs thermogate starts (post_command) behave as
// before.
//
// It must be initialised before fyne.io/fyne/v2/lang. Go initialises
// packages in dependency order, and among those ready the one whose import
// path sorts first; this package imports only os and strings, so it is
// ready long before Fyne's lang package, which needs text/template and
// golang.org/x/text, both sorting after this package's path. The test in
// cmd/thermogate checks the order in the built binary (GODEBUG=inittrace=1).
package localefix

import (
	"os"
	"strings"
)

func init() { Fix(os.Getenv, os.Setenv) }

// Fix sets LANGUAGE, through setenv, when the locale read through getenv is
// one Fyne cannot parse. It reports whether it changed anything.
func Fix(getenv func(string) string, setenv func(string, string) error) bool {
	locale := ""
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(v); locale != "" {
			break
		}
	}
	if locale == "C" || locale == "POSIX" {
		return false // Fyne falls back to English without a word
	}
	if languages := getenv("LANGUAGE"); languages != "" {
		var good []string
		for _, l := range strings.Split(languages, ":") {
			if WellFormed(l) {
				good = append(good, l)
			}
		}
		if len(good) == len(strings.Split(languages, ":")) {
			return false
		}
		if len(good) == 0 {
			good = []string{"en"}
		}
		_ = setenv("LANGUAGE", strings.Join(good, ":"))
		return true
	}
	if locale == "" || WellFormed(locale) {
		return false // nothing set: English, without a word
	}
	_ = setenv("LANGUAGE", "en")
	return true
}

// WellFormed reports whether a POSIX locale name (ll_RR.ENCODING@modifier,
// or ll-RR) gives, cut as Fyne's go-locale cuts it, a language tag: a
// language of 2 or 3 letters (or 5 to 8), and a region of 2 letters or 3
// digits if any. It is stricter than BCP 47 (no scripts, no variants);
// a name it refuses makes Fyne's own dialogs English, which is harmless.
func WellFormed(name string) bool {
	name, _, _ = strings.Cut(name, ".")
	name = strings.ReplaceAll(name, "-", "_")
	lang, region, _ := strings.Cut(name, "_")
	if n := len(lang); !(n >= 2 && n <= 3 || n >= 5 && n <= 8) || !all(lang, isLetter) {
		return false
	}
	switch {
	case region == "":
		return true
	case len(region) == 2:
		return all(region, isLetter)
	case len(region) == 3:
		return all(region, isDigit)
	}
	return false
}

func all(s string, f func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !f(s[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
