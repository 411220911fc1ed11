package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Sizes are in Fyne units. With Fyne's scaling to the panel's real DPI, one
// unit is 1/120 inch, about 0.21 mm: the kiosk is designed in physical
// sizes, the same on the 800×480 and the 720×1280 panel.
const (
	unitsPerMM = 120 / 25.4
	// MinTouch is the smallest touch target: 15 mm.
	MinTouch = 15 * unitsPerMM
	// TouchSize is what the kiosk's buttons get: 16 mm, a margin over MinTouch.
	TouchSize = 16 * unitsPerMM

	textBody        = 24 // ≈ 5 mm: main text
	textSmall       = 18 // secondary lines, the guard's
	textButton      = 26
	textGuardButton = 21 // two lines fit a 16 mm button
	textHeadline    = 30 // ≈ 6.3 mm: one line for most headlines in all four languages
	textHuge        = 48 // ADMIT / DENY
)

// Colours. Text on every background below has a contrast of at least 7:1
// (WCAG AAA); theme_test.go computes it. Decisions never rely on colour
// alone: each has its own icon and words.
var (
	colBackground = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	colText       = color.NRGBA{0x11, 0x11, 0x11, 0xFF}
	colMuted      = color.NRGBA{0x40, 0x40, 0x40, 0xFF} // secondary text, still 7:1 on white
	colPrimary    = color.NRGBA{0x0B, 0x3D, 0x91, 0xFF} // buttons: white text on dark blue
	colButton     = color.NRGBA{0xE4, 0xE8, 0xEE, 0xFF} // secondary buttons: dark text on light grey
	colSelected   = color.NRGBA{0xC9, 0xDC, 0xFF, 0xFF} // the chosen language: dark text on pale blue, framed
	colAdmit      = color.NRGBA{0x0A, 0x5C, 0x2B, 0xFF} // white text on dark green
	colDeny       = color.NRGBA{0x9B, 0x11, 0x16, 0xFF} // white text on dark red
	colRefer      = color.NRGBA{0xFF, 0xC2, 0x2E, 0xFF} // black text on amber
	colNotice     = color.NRGBA{0x8A, 0x1C, 0x00, 0xFF} // warnings on white
	colOnDark     = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
)

// kioskTheme is a light, high-contrast theme with large type.
type kioskTheme struct{ fyne.Theme }

func newTheme() fyne.Theme { return kioskTheme{theme.DefaultTheme()} }

func (t kioskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameBackground, theme.ColorNameOverlayBackground, theme.ColorNameMenuBackground:
		return colBackground
	case theme.ColorNameForeground:
		return colText
	case theme.ColorNamePrimary, theme.ColorNameFocus:
		return colPrimary
	case theme.ColorNameForegroundOnPrimary:
		return colOnDark
	case theme.ColorNameButton:
		return colButton
	case theme.ColorNameDisabledButton:
		return colButton
	case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
		return colMuted
	case theme.ColorNameInputBackground:
		return colBackground
	case theme.ColorNameInputBorder:
		return colText
	case theme.ColorNameHover:
		return color.NRGBA{0x00, 0x00, 0x00, 0x10}
	case theme.ColorNamePressed:
		return color.NRGBA{0x00, 0x00, 0x00, 0x30}
	case theme.ColorNameSuccess:
		return colAdmit
	case theme.ColorNameError:
		return colDeny
	case theme.ColorNameWarning:
		return colRefer
	case theme.ColorNameForegroundOnSuccess, theme.ColorNameForegroundOnError:
		return colOnDark
	case theme.ColorNameForegroundOnWarning:
		return colText
	case theme.ColorNameShadow:
		return color.NRGBA{0, 0, 0, 0x33}
	case theme.ColorNameSeparator:
		return colMuted
	}
	return t.Theme.Color(n, theme.VariantLight)
}

func (t kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case sizeHuge:
		return textHuge
	case sizeHeadline:
		return textHeadline
	case sizeBody:
		return textBody
	case sizeSmall:
		return textSmall
	case sizeGuardButton:
		return textGuardButton
	case theme.SizeNameText:
		return textBody
	case theme.SizeNameHeadingText:
		return textHeadline
	case theme.SizeNameSubHeadingText:
		return textButton
	case theme.SizeNameCaptionText:
		return textSmall
	case theme.SizeNamePadding:
		return 8
	case theme.SizeNameInnerPadding:
		return 8 // also RichText's margin: paragraphs stay close, buttons get their size from atLeast
	case theme.SizeNameInlineIcon:
		return 32
	case theme.SizeNameInputBorder:
		return 3
	case theme.SizeNameInputRadius, theme.SizeNameSelectionRadius:
		return 8
	}
	return t.Theme.Size(n)
}
