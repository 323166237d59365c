package pieces

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseFileList(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []int
		err  string
	}{
		{"0", []int{0}, ""},
		{"0,2,4-6", []int{0, 2, 4, 5, 6}, ""},
		{"5-7,6,1", []int{1, 5, 6, 7}, ""},
		{"", nil, "empty"},
		{"1,,2", nil, `"" is not a file number`},
		{"3-1", nil, "ends before"},
		{"x", nil, `"x" is not a file number`},
		{"-1", nil, "not a file number"},
		{"+1", nil, "not a file number"},
		{"100000", nil, "out of range"},
	} {
		got, err := ParseFileList(tt.in)
		if tt.err != "" {
			if !errors.Is(err, ErrBadSelection) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseFileList(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseFileList(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if f := FormatFileList(got); f != FormatFileList(tt.want) {
			t.Errorf("FormatFileList(%v) = %q", got, f)
		}
	}
	if f := FormatFileList([]int{0, 2, 4, 5, 6, 9}); f != "0,2,4-6,9" {
		t.Errorf("FormatFileList = %q, want 0,2,4-6,9", f)
	}
}

func TestSelection_Wanted(t *testing.T) {
	info, _ := makeInfo(t, "show", 16384, []testFile{
		{"s1/e1.mkv", 100}, {"s1/e1.srt", 10}, {"s1/extras/making.mkv", 50}, {"s2/e1.mkv", 100}, {"readme.txt", 5},
	})
	for _, tt := range []struct {
		name string
		sel  Selection
		want []int // wanted files
		err  string
	}{
		{"everything", Selection{}, []int{0, 1, 2, 3, 4}, ""},
		{"name anywhere", Selection{Only: []string{"*.mkv"}}, []int{0, 2, 3}, ""},
		{"path glob", Selection{Only: []string{"s1/*.mkv"}}, []int{0}, ""},
		{"double star", Selection{Only: []string{"s1/**/*.mkv"}}, []int{0, 2}, ""},
		{"with the torrent's name", Selection{Only: []string{"show/s2/e1.mkv"}}, []int{3}, ""},
		{"a folder", Selection{Only: []string{"s1"}}, []int{0, 1, 2}, ""},
		{"a folder by path", Selection{Only: []string{"s1/extras"}}, []int{2}, ""},
		{"numbers and globs add up", Selection{Only: []string{"readme.txt"}, Files: []int{1}}, []int{1, 4}, ""},
		{"skip wins", Selection{Only: []string{"s1"}, Skip: []string{"extras"}}, []int{0, 1}, ""},
		{"skip alone", Selection{Skip: []string{"**/*.srt", "readme.txt"}}, []int{0, 2, 3}, ""},
		{"glob matching nothing", Selection{Only: []string{"*.mkv", "*.avi"}}, nil, `"*.avi" matches no file`},
		{"skip matching nothing", Selection{Skip: []string{"s3"}}, nil, `"s3" matches no file`},
		{"number out of range", Selection{Files: []int{5}}, nil, "no file 5: the torrent has files 0 to 4"},
		{"bad glob", Selection{Only: []string{"s1/[x"}}, nil, "syntax error"},
		{"nothing left", Selection{Skip: []string{"*"}}, nil, "leaves no file"},
		{"skip by number", Selection{SkipFiles: []int{1, 4}}, []int{0, 2, 3}, ""},
		{"skip by number wins", Selection{Files: []int{0, 1}, SkipFiles: []int{1}}, []int{0}, ""},
		{"skip number out of range", Selection{SkipFiles: []int{9}}, nil, "no file 9 to skip"},
		{"skipping every number", Selection{SkipFiles: []int{0, 1, 2, 3, 4}}, nil, "leaves no file"},
	} {
		got, err := tt.sel.Wanted(info)
		if tt.err != "" {
			if !errors.Is(err, ErrBadSelection) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, %v; want an error with %q", tt.name, got, err, tt.err)
			}
			continue
		}
		var idx []int
		for k, w := range got {
			if w {
				idx = append(idx, k)
			}
		}
		if err != nil || !slices.Equal(idx, tt.want) {
			t.Errorf("%s: wanted %v, %v; want %v", tt.name, idx, err, tt.want)
		}
	}
}

func TestMatchSegs(t *testing.T) {
	for _, tt := range []struct {
		pat, name string
		want      bool
	}{
		{"**", "a/b/c", true},
		{"**", "", true},
		{"a/**/c", "a/c", true},
		{"a/**/c", "a/x/y/c", true},
		{"a/**/c", "a/x/y/d", false},
		{"**/**/**/**/**/**/z", strings.Repeat("a/", 60) + "y", false},
	} {
		var name []string
		if tt.name != "" {
			name = strings.Split(tt.name, "/")
		}
		if got := matchSegs(strings.Split(tt.pat, "/"), name); got != tt.want {
			t.Errorf("matchSegs(%q, %q) = %v", tt.pat, tt.name, got)
		}
	}
}

// FuzzSelection: any glob either fails with ErrBadSelection or selects
// files it matches; it never panics, and "**" runs do not blow up.
func FuzzSelection(f *testing.F) {
	info, _ := makeInfo(f, "show", 16384, []testFile{
		{"s1/e1.mkv", 100}, {"s1/extras/making.mkv", 50}, {"s2/a/b/c/d/e.txt", 5},
	})
	for _, g := range []string{"*.mkv", "s1/**", "**/**/e.txt", "[", "show/s2/**/d", "/", "a\\"} {
		f.Add(g, "")
	}
	f.Fuzz(func(t *testing.T, only, skip string) {
		sel := Selection{Only: []string{only}}
		if skip != "" {
			sel.Skip = []string{skip}
		}
		want, err := sel.Wanted(info)
		if err != nil {
			if !errors.Is(err, ErrBadSelection) {
				t.Fatalf("%q, %q: %v does not wrap ErrBadSelection", only, skip, err)
			}
			return
		}
		if len(want) != len(info.Files) || !slices.Contains(want, true) {
			t.Fatalf("%q, %q: %v", only, skip, want)
		}
	})
}
