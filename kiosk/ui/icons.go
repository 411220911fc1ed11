package ui

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
)

// Icons are drawn here as SVG: a decision's icon must be unmistakable in
// black and white, at arm's length, for a visitor who does not read the
// screen's language.
//
// They are filled shapes only, no SVG strokes: Fyne's rasteriser does not
// scale a stroke's width with the icon, so a stroked icon drawn at a
// button's 35 px on the 800×480 panel became a blob of ink. Lines are
// therefore built here as outlines (see the shape helpers below), and
// icons_test.go checks that every icon at the panels' sizes is the same
// picture as drawn large.
var (
	iconAdmit = svg("admit", fill("#fff", ring(50, 50, 44, 9))+
		polyline("#fff", 11, pt{27, 52}, pt{43, 68}, pt{74, 34}))
	iconDeny = svg("deny", fill("#fff", ring(50, 50, 44, 9))+
		polyline("#fff", 11, pt{32, 32}, pt{68, 68})+polyline("#fff", 11, pt{68, 32}, pt{32, 68}))
	iconHand = svg("hand", handShape("#111"))
	iconCode = svg("code", fill("#0B3D91", roundRect(10, 22, 80, 56, 8)+reverse(roundRect(17, 29, 66, 42, 3)))+
		fill("#0B3D91", rect(24, 38, 8, 5)+rect(24, 50, 8, 5)+rect(24, 62, 8, 5)+
			rect(39, 38, 4, 29)+rect(48, 38, 5, 29)+rect(57, 38, 3, 29)+rect(64, 38, 6, 29)+rect(74, 38, 3, 29)))
	iconMask = svg("mask", `<path d="M18 38 Q50 26 82 38 L80 62 Q50 84 20 62 Z" fill="#0B3D91"/>`+
		polyline("#0B3D91", 5, pt{18, 42}, pt{4, 36})+polyline("#0B3D91", 5, pt{18, 58}, pt{4, 64})+
		polyline("#0B3D91", 5, pt{82, 42}, pt{96, 36})+polyline("#0B3D91", 5, pt{82, 58}, pt{96, 64}))
	iconDistance = svg("distance", fill("#0B3D91", circle(18, 26, 9)+roundRect(10, 38, 16, 40, 7)+circle(82, 26, 9)+roundRect(74, 38, 16, 40, 7))+
		polyline("#111", 5, pt{34, 58}, pt{66, 58})+polyline("#111", 5, pt{43, 50}, pt{34, 58}, pt{43, 66})+
		polyline("#111", 5, pt{57, 50}, pt{66, 58}, pt{57, 66}))
	iconHands = svg("hands", `<path d="M50 8 C50 8 22 44 22 62 A28 28 0 0 0 78 62 C78 44 50 8 50 8 Z" fill="#0B3D91"/>`+
		polyline("#fff", 5, pt{38, 62}, pt{39.6, 68}, pt{44, 72.4}, pt{50, 74}))
	// A key with a left-pointing tip and a cross: the backspace of every keypad.
	iconBackspace = svg("backspace", fill("#111", poly(pt{33, 18}, pt{90, 18}, pt{90, 82}, pt{33, 82}, pt{5, 50})+
		reverse(poly(pt{36.5, 25}, pt{83, 25}, pt{83, 75}, pt{36.5, 75}, pt{14.3, 50})))+
		polyline("#111", 7, pt{47, 37}, pt{71, 63})+polyline("#111", 7, pt{71, 37}, pt{47, 63}))
	iconGlobe = svg("globe", fill("#111", ring(50, 50, 40, 6)+ellipseRing(50, 50, 18, 40, 5))+
		fill("#111", rect(10, 47.5, 80, 5)+rect(17, 25.5, 66, 5)+rect(17, 69.5, 66, 5)))
	// A tick alone: the language the screen is in.
	iconSelected = svg("selected", polyline("#111", 13, pt{16, 52}, pt{40, 76}, pt{84, 28}))
)

// handShape is an open hand raised, palm out: "stop here, wait".
func handShape(col string) string {
	return fill(col, roundRect(26, 46, 50, 40, 16)+rect(34, 80, 34, 16)) +
		polyline(col, 11, pt{34, 60}, pt{34, 22}) +
		polyline(col, 11, pt{46, 56}, pt{46, 12}) +
		polyline(col, 11, pt{58, 56}, pt{58, 14}) +
		polyline(col, 10, pt{69, 60}, pt{69, 26}) +
		polyline(col, 12, pt{30, 74}, pt{14, 52})
}

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

// The shape helpers build path data of closed outlines. The rasteriser
// fills by the non-zero rule, so a hole is an outline drawn the other way
// round (reverse) inside its shape.

type pt struct{ x, y float64 }

// fill is one filled path of the outlines d.
func fill(col, d string) string { return `<path d="` + d + `" fill="` + col + `"/>` }

// poly is a closed outline through ps.
func poly(ps ...pt) string {
	var b strings.Builder
	for i, p := range ps {
		fmt.Fprintf(&b, "%s%.2f %.2f ", map[bool]string{true: "M", false: "L"}[i == 0], p.x, p.y)
	}
	b.WriteString("Z ")
	return b.String()
}

// reverse turns an outline made by poly the other way round.
func reverse(d string) string {
	var ps []pt
	for _, f := range strings.Fields(strings.TrimSuffix(strings.TrimSpace(d), "Z")) {
		var v float64
		if _, err := fmt.Sscanf(strings.TrimLeft(f, "ML"), "%g", &v); err != nil {
			panic("BUG: icon outline " + d)
		}
		if f[0] == 'M' || f[0] == 'L' {
			ps = append(ps, pt{x: v})
		} else {
			ps[len(ps)-1].y = v
		}
	}
	slices.Reverse(ps)
	return poly(ps...)
}

// ellipse is an ellipse's outline, as many straight pieces as it takes to
// look round at any size the kiosk shows.
func ellipse(cx, cy, rx, ry float64) string {
	const n = 72
	ps := make([]pt, n)
	for i := range n {
		s, c := math.Sincos(2 * math.Pi * float64(i) / n)
		ps[i] = pt{cx + rx*c, cy + ry*s}
	}
	return poly(ps...)
}

func circle(cx, cy, r float64) string { return ellipse(cx, cy, r, r) }

// ring is a circle's line of width w, centred on radius r.
func ring(cx, cy, r, w float64) string { return ellipseRing(cx, cy, r, r, w) }

func ellipseRing(cx, cy, rx, ry, w float64) string {
	return ellipse(cx, cy, rx+w/2, ry+w/2) + reverse(ellipse(cx, cy, rx-w/2, ry-w/2))
}

func rect(x, y, w, h float64) string {
	return poly(pt{x, y}, pt{x + w, y}, pt{x + w, y + h}, pt{x, y + h})
}

// roundRect is a rectangle with corners rounded to radius r.
func roundRect(x, y, w, h, r float64) string {
	var ps []pt
	corner := func(cx, cy, from float64) {
		for i := 0; i <= 8; i++ {
			s, c := math.Sincos((from + 90*float64(i)/8) * math.Pi / 180)
			ps = append(ps, pt{cx + r*c, cy + r*s})
		}
	}
	corner(x+w-r, y+r, -90)
	corner(x+w-r, y+h-r, 0)
	corner(x+r, y+h-r, 90)
	corner(x+r, y+r, 180)
	return poly(ps...)
}

// polyline is a line of width w through ps with round ends and joints: a
// band for each piece and a disc at each point, filled separately (so that
// the rasteriser's non-zero rule cannot cut holes where they overlap).
func polyline(col string, w float64, ps ...pt) string {
	var b strings.Builder
	for i, p := range ps {
		b.WriteString(fill(col, circle(p.x, p.y, w/2)))
		if i == 0 {
			continue
		}
		q := ps[i-1]
		dx, dy := p.x-q.x, p.y-q.y
		l := math.Hypot(dx, dy)
		nx, ny := -dy/l*w/2, dx/l*w/2
		b.WriteString(fill(col, poly(pt{q.x + nx, q.y + ny}, pt{p.x + nx, p.y + ny}, pt{p.x - nx, p.y - ny}, pt{q.x - nx, q.y - ny})))
	}
	return b.String()
}
