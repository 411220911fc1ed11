package ui

import (
	"fmt"
	"math"
	"strings"

	"fyne.io/fyne/v2"
)

// Icons are drawn here as SVG: a decision's icon must be unmistakable in
// black and white, at arm's length, for a visitor who does not read the
// screen's language.
var (
	iconAdmit = svg("admit", `<circle cx="50" cy="50" r="44" fill="none" stroke="#fff" stroke-width="9"/>
<path d="M27 52 L43 68 L74 34" fill="none" stroke="#fff" stroke-width="11" stroke-linecap="round" stroke-linejoin="round"/>`)
	iconDeny = svg("deny", `<circle cx="50" cy="50" r="44" fill="none" stroke="#fff" stroke-width="9"/>
<path d="M32 32 L68 68 M68 32 L32 68" fill="none" stroke="#fff" stroke-width="11" stroke-linecap="round"/>`)
	iconHand = svg("hand", `<g fill="#111">
<rect x="27" y="44" width="48" height="44" rx="16"/>
<rect x="28" y="18" width="10" height="40" rx="5"/>
<rect x="40" y="10" width="10" height="44" rx="5"/>
<rect x="52" y="12" width="10" height="42" rx="5"/>
<rect x="64" y="20" width="10" height="38" rx="5"/>
<rect x="8" y="46" width="10" height="30" rx="5" transform="rotate(-35 13 61)"/>
</g>`)
	iconCode = svg("code", `<rect x="10" y="22" width="80" height="56" rx="8" fill="none" stroke="#0B3D91" stroke-width="7"/>
<path d="M24 40 h8 M24 52 h8 M24 64 h8 M40 40 v24 M50 40 v24 M58 40 v24 M68 40 v24 M76 40 v24" stroke="#0B3D91" stroke-width="5"/>`)
	iconMask = svg("mask", `<path d="M18 38 Q50 26 82 38 L80 62 Q50 84 20 62 Z" fill="#0B3D91"/>
<path d="M18 42 L4 36 M18 58 L4 64 M82 42 L96 36 M82 58 L96 64" stroke="#0B3D91" stroke-width="5" stroke-linecap="round"/>`)
	iconDistance = svg("distance", `<circle cx="18" cy="26" r="9" fill="#0B3D91"/><rect x="10" y="38" width="16" height="40" rx="7" fill="#0B3D91"/>
<circle cx="82" cy="26" r="9" fill="#0B3D91"/><rect x="74" y="38" width="16" height="40" rx="7" fill="#0B3D91"/>
<path d="M34 58 H66 M34 58 l9 -8 M34 58 l9 8 M66 58 l-9 -8 M66 58 l-9 8" stroke="#111" stroke-width="5" stroke-linecap="round" fill="none"/>`)
	iconHands = svg("hands", `<path d="M50 8 C50 8 22 44 22 62 A28 28 0 0 0 78 62 C78 44 50 8 50 8 Z" fill="#0B3D91"/>
<path d="M38 62 A12 12 0 0 0 50 74" stroke="#fff" stroke-width="5" fill="none" stroke-linecap="round"/>`)
	iconBackspace = svg("backspace", `<path d="M34 20 H88 V80 H34 L8 50 Z" fill="none" stroke="#111" stroke-width="7" stroke-linejoin="round"/>
<path d="M46 36 L72 64 M72 36 L46 64" stroke="#111" stroke-width="7" stroke-linecap="round"/>`)
	iconGlobe = svg("globe", `<circle cx="50" cy="50" r="40" fill="none" stroke="#111" stroke-width="6"/>
<ellipse cx="50" cy="50" rx="17" ry="40" fill="none" stroke="#111" stroke-width="5"/>
<path d="M10 50 H90 M18 28 H82 M18 72 H82" stroke="#111" stroke-width="5"/>`)
)

// arrowIcon points towards the sensor: left, right, top or bottom.
func arrowIcon(side string) fyne.Resource {
	// An arrow pointing right, rotated about the centre.
	pts := [][2]float64{{8, 38}, {56, 38}, {56, 14}, {94, 50}, {56, 86}, {56, 62}, {8, 62}}
	angle := map[string]float64{"right": 0, "bottom": 90, "left": 180, "top": 270}[side]
	var b strings.Builder
	for i, p := range pts {
		s, c := math.Sincos(angle * math.Pi / 180)
		x, y := p[0]-50, p[1]-50
		fmt.Fprintf(&b, "%s%.1f %.1f ", map[bool]string{true: "M", false: "L"}[i == 0], 50+x*c-y*s, 50+x*s+y*c)
	}
	return svg("arrow-"+side, `<path d="`+b.String()+`Z" fill="#0B3D91"/>`)
}

func svg(name, body string) fyne.Resource {
	return fyne.NewStaticResource(name+".svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">`+body+`</svg>`))
}
