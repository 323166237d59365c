package transmission

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeRequest feeds arbitrary bodies to the request decoder and every
// method's argument decoding: rejecting is fine; panicking, hanging or
// accepting what does not round-trip is not.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"method":"torrent-get","arguments":{"fields":["id","name"],"ids":"recently-active"},"tag":5}`))
	f.Add([]byte(`{"method":"torrent-set","arguments":{"ids":[1,"0123456789abcdef0123456789abcdef01234567"],"files-wanted":[]}}`))
	f.Add([]byte(`{"method":"torrent-add","arguments":{"metainfo":"ZDQ6aW5mb2Rl","paused":true}}`))
	f.Add([]byte(`{"method":"session-set","arguments":{"speed-limit-down":10,"speed-limit-down-enabled":true}}`))
	f.Add([]byte(`{"method":"torrent_set","arguments":{"ids":[1],"files_unwanted":[0],"download_limited":true,"downloadLimit":5}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","method":"torrent_get","params":{"fields":["id","percent_done"]},"id":"x"}`))
	f.Add([]byte(`{"method":"session_set","arguments":{"speed_limit_down":10,"seed_ratio_limited":false,"seedRatio_limit":2}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeRequest(body)
		if err != nil {
			return
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("re-encoding %q: %v", body, err)
		}
		req2, err := decodeRequest(again)
		if err != nil || req2.Method != req.Method || string(req2.Tag) != string(req.Tag) {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", body, req2, err, req)
		}
		for _, v := range []any{&getArgs{}, &setArgs{}, &addArgs{}, &removeArgs{}, &idsArgs{}, &sessionSetArgs{},
			&sessionGetArgs{}, &freeSpaceArgs{}, &portTestArgs{}} {
			_ = decodeArgs(req.Arguments, v)
		}
		var ids idSet
		if json.Unmarshal(req.Arguments, &ids) == nil {
			for _, n := range ids.nums {
				if n < 0 {
					t.Fatalf("negative id %d accepted from %q", n, body)
				}
			}
		}
	})
}
