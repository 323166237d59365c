package pieces

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseMagnet(t *testing.T) {
	hexIH := "0123456789abcdef0123456789abcdef01234567"
	m, err := ParseMagnet("magnet:?xt=urn:btih:" + strings.ToUpper(hexIH) +
		"&dn=My+File%20%C3%A9&tr=http%3A%2F%2F127.0.0.1%3A8080%2Fannounce&tr=udp://127.0.0.1:9&x.pe=127.0.0.1:6881&x.pe=[::1]:7000")
	if err != nil {
		t.Fatal(err)
	}
	want := &Magnet{Name: "My File é", Trackers: []string{"http://127.0.0.1:8080/announce", "udp://127.0.0.1:9"},
		Peers: []string{"127.0.0.1:6881", "[::1]:7000"}}
	copy(want.InfoHash[:], []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67})
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %+v\nwant %+v", m, want)
	}
	again, err := ParseMagnet(m.String())
	if err != nil || !reflect.DeepEqual(again, m) {
		t.Fatalf("roundtrip %q: %+v, %v", m.String(), again, err)
	}
	b32, err := ParseMagnet("magnet:?xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH")
	if err != nil || b32.InfoHash != m.InfoHash {
		t.Fatalf("base32: %+v, %v", b32, err)
	}
}

func TestParseMagnet_StripsControlsFromName(t *testing.T) {
	m, err := ParseMagnet("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=a%1b%5B2Jb%C2%9Bc")
	if err != nil || m.Name != "a[2Jbc" {
		t.Fatalf("%+v, %v", m, err)
	}
}

func TestParseMagnet_Bad(t *testing.T) {
	ih := "0123456789abcdef0123456789abcdef01234567"
	for _, uri := range []string{
		"",
		"http://example.com",
		"magnet:?dn=x",
		"magnet:?xt=urn:btmh:1114" + strings.Repeat("ab", 20),
		"magnet:?xt=urn:btmh:1220" + strings.Repeat("ab", 31),
		"magnet:?xt=urn:btmh:1220" + strings.Repeat("zz", 32),
		"magnet:?xt=urn:btmh:1220" + strings.Repeat("ab", 32) + "&xt=urn:btmh:1220" + strings.Repeat("cd", 32),
		"magnet:?xt=urn:btih:0123",
		"magnet:?xt=urn:btih:" + strings.Repeat("zz", 20),
		"magnet:?xt=urn:btih:" + ih + "&xt=urn:btih:" + strings.Repeat("00", 20),
		"magnet:?xt=urn:btih:" + ih + "&x.pe=noport",
		"magnet:?xt=urn:btih:" + ih + "&x.pe=1.2.3.4:0",
		"magnet:?xt=urn:btih:" + ih + "&x.pe=1.2.3.4:99999",
		"magnet:?xt=urn:btih:" + ih + "&x.pe=:80",
		"magnet:?xt=urn:btih:" + ih + "&dn=%ff",
		"magnet:?xt=urn:btih:" + ih + "&dn=%zz",
		"magnet:?xt=urn:btih:" + ih + strings.Repeat("&tr=x", 20000),
		"magnet:?xt=urn:btih:" + ih + "&tr=http://a%1b[2J",
		"magnet:?xt=urn:btih:" + ih + "&x.pe=a%00b:1",
	} {
		if _, err := ParseMagnet(uri); !errors.Is(err, ErrBadMagnet) {
			t.Errorf("ParseMagnet(%.80q) = %v, want ErrBadMagnet", uri, err)
		}
	}
}
