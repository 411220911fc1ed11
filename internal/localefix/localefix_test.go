package localefix

import (
	"os"
	"testing"

	"github.com/jeandeaual/go-locale"
	"golang.org/x/text/language"
)

var names = []string{
	"", "C", "POSIX", "C.UTF-8", "C.utf8", "en_US.UTF-8", "lt_LT.UTF-8", "lt_LT", "lt", "pl_PL.UTF-8",
	"ru_RU.KOI8-R", "de_DE@euro", "sr_RS@latin", "ca_ES.UTF-8@valencia", "es_419.UTF-8", "en-GB",
	"ast_ES.UTF-8", "x", "1_2", "en_USA", "en_U1", "tlh_001", "latin1", "en_US:lt_LT",
}

// fyneErrors is what Fyne's lang package does at start: go-locale's
// locales from the environment, each parsed as a BCP 47 tag; it returns
// those that fail (each one is a "Fyne error: Error parsing user locale").
func fyneErrors(t *testing.T) []string {
	t.Helper()
	locs, err := locale.GetLocales()
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, l := range locs {
		if _, err := language.Parse(l); err != nil {
			bad = append(bad, l)
		}
	}
	return bad
}

func clearLocale(t *testing.T) {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"} {
		t.Setenv(v, "")
	}
}

// After Fix, Fyne parses whatever the environment holds, in each variable
// go-locale reads, with and without LANGUAGE.
func TestFixLeavesNothingForFyneToRefuse(t *testing.T) {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		for _, name := range names {
			for _, languages := range []string{"", "lt:en", "C.UTF-8", "lt:C:x"} {
				clearLocale(t)
				os.Setenv(v, name)
				os.Setenv("LANGUAGE", languages)
				Fix(os.Getenv, os.Setenv)
				if bad := fyneErrors(t); len(bad) > 0 {
					t.Errorf("%s=%q LANGUAGE=%q: after Fix (LANGUAGE=%q) Fyne still refuses %q", v, name, languages, os.Getenv("LANGUAGE"), bad)
				}
			}
		}
	}
}

// Fix changes only what Fyne would refuse: a good locale is left alone, and
// the C library's variables are never touched.
func TestFixChangesOnlyWhatFyneRefuses(t *testing.T) {
	for _, name := range names {
		clearLocale(t)
		os.Setenv("LANG", name)
		refused := len(fyneErrors(t)) > 0
		env := map[string]string{"LANG": name}
		changed := Fix(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
		if refused && !changed {
			t.Errorf("LANG=%q: Fyne refuses it, Fix left it", name)
		}
		if changed && WellFormed(name) {
			t.Errorf("LANG=%q: well-formed, yet Fix changed LANGUAGE to %q", name, env["LANGUAGE"])
		}
		if env["LANG"] != name || len(env) > 2 {
			t.Errorf("LANG=%q: Fix changed more than LANGUAGE: %v", name, env)
		}
	}
	// C, POSIX and no locale at all: Fyne falls back to English silently.
	for _, name := range []string{"", "C", "POSIX"} {
		env := map[string]string{"LANG": name}
		if Fix(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil }) {
			t.Errorf("LANG=%q: Fix changed %v, want nothing", name, env)
		}
	}
}

// Every name WellFormed accepts, Fyne parses: WellFormed errs only on the
// strict side.
func TestWellFormedIsNeverLaxerThanFyne(t *testing.T) {
	for _, name := range names {
		if !WellFormed(name) || name == "" {
			continue
		}
		clearLocale(t)
		os.Setenv("LANG", name)
		if bad := fyneErrors(t); len(bad) > 0 {
			t.Errorf("WellFormed(%q) is true, but Fyne refuses %q", name, bad)
		}
	}
}
