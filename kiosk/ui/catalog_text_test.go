package ui

import (
	"regexp"
	"testing"

	"github.com/thermogate/thermogate/kiosk"
)

// A number and its unit never part at a line break ("43.0 / °C", "10 / s"),
// nor does a Polish one-letter word leave its next word ("nos i / usta"):
// the catalogs join them with a no-break space.
func TestCatalogKeepsNumbersWithUnits(t *testing.T) {
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	unit := regexp.MustCompile(`(\d|\{[a-z]+\}) (°C|cm|mm|m|s|min\.?|minutes?|minut|minučių|см|м|с|мин|минут)([\s.,;:)!?]|$)`)
	oneLetter := regexp.MustCompile(`(^|[\s(„])[wWzZiIoOaAuU] `)
	for _, lang := range kiosk.Languages {
		for _, k := range cat.Keys() {
			v := cat.T(lang, k)
			if m := unit.FindString(v); m != "" {
				t.Errorf("%s %s: %q splits a number from its unit (%q)", lang, k, v, m)
			}
			if m := oneLetter.FindString(v); lang == "pl" && m != "" {
				t.Errorf("%s %s: %q leaves a one-letter word at a line's end (%q)", lang, k, v, m)
			}
		}
	}
}
