package pieces_test

import (
	"fmt"

	"github.com/shoal-bt/shoal/pieces"
)

func ExampleParseMagnet() {
	m, err := pieces.ParseMagnet("magnet:?xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH&dn=My+Files&x.pe=127.0.0.1:6881")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%x %q %v\n", m.InfoHash, m.Name, m.Peers)
	fmt.Println(m.String())
	// Output:
	// 0123456789abcdef0123456789abcdef01234567 "My Files" [127.0.0.1:6881]
	// magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=My+Files&x.pe=127.0.0.1%3A6881
}

func ExampleLoad() {
	t, err := pieces.Load("../testdata/hostile/unsafe-dotdot.torrent")
	fmt.Println(t, err)
	// Output:
	// <nil> ../testdata/hostile/unsafe-dotdot.torrent: bad torrent: file 0 path "../../etc/passwd": component ".." escapes the download directory
}
