package pieces

import (
	"strings"
	"unicode/utf8"
)

// checkPath validates the components of one file path under the torrent's
// name.
func checkPath(comps []string) error {
	if len(comps) == 0 {
		return &PathError{Reason: "path is empty"}
	}
	if len(comps) > MaxPathDepth {
		return &PathError{Component: comps[MaxPathDepth], Reason: "is nested too deep (limit 64 components)"}
	}
	for _, c := range comps {
		if err := checkComponent(c); err != nil {
			return err
		}
	}
	return nil
}

// checkComponent validates one name: the torrent's name or one component of
// a file path. The rules are the same on every OS (see the package doc).
func checkComponent(c string) error {
	bad := func(reason string) error { return &PathError{Component: c, Reason: reason} }
	switch {
	case c == "":
		return bad("is empty")
	case c == "..":
		return bad("escapes the download directory")
	case c == ".":
		return bad("is not a name")
	case len(c) > MaxNameBytes:
		return bad("is longer than 255 bytes")
	case !utf8.ValidString(c):
		return bad("is not valid UTF-8")
	case strings.ContainsAny(c, `/\`):
		return bad("contains a path separator")
	case len(c) >= 2 && c[1] == ':' && isASCIILetter(c[0]):
		return bad("starts with a drive letter")
	case isWindowsDevice(c):
		return bad("is a reserved device name")
	}
	for _, r := range c {
		if r < 0x20 || r == 0x7f {
			// NUL truncates paths in C APIs; other controls can rewrite
			// the terminal when a name is shown.
			return bad("contains a control character")
		}
	}
	return nil
}

func isASCIILetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// isWindowsDevice reports names that Windows maps to devices whatever their
// extension ("nul.txt" is NUL).
func isWindowsDevice(c string) bool {
	base, _, _ := strings.Cut(c, ".")
	base = strings.TrimRight(base, " ")
	switch strings.ToUpper(base) {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	if len(base) == 4 {
		u := strings.ToUpper(base[:3])
		return (u == "COM" || u == "LPT") && base[3] >= '1' && base[3] <= '9'
	}
	return false
}

func joinPath(comps []string) string { return strings.Join(comps, "/") }
