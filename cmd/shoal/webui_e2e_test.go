package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shoal-bt/shoal/daemon"
	"github.com/shoal-bt/shoal/internal/headless"
)

// TestWebUI_Chromium drives shoal's own web UI in headless Chromium
// against a real daemon on loopback: the torrent appears, a click on
// Pause pauses it (checked over the API, not in the page), a .torrent
// uploaded through the form is added, and a torrent's detail shows its
// files and pieces. Screenshots land in $SHOAL_WEBUI_SHOTS when it is set.
func TestWebUI_Chromium(t *testing.T) {
	chromium := headless.Find()
	if chromium == "" {
		t.Skip("no chromium, chromium-browser or google-chrome on PATH: the web UI test needs one (.ci/run installs chromium)")
	}
	dir := t.TempDir()
	seeded := filepath.Join(dir, "seeded")
	writeTree(t, seeded, map[string]int{"a.bin": 200_000, "b.bin": 50_000})
	seededTorrent := filepath.Join(dir, "seeded.torrent")
	upload := filepath.Join(dir, "uploaded")
	writeTree(t, upload, map[string]int{"u.bin": 100_000})
	uploadTorrent := filepath.Join(dir, "uploaded.torrent")
	for src, out := range map[string]string{seeded: seededTorrent, upload: uploadTorrent} {
		if code, _, errs := shoalRun(t, "create", src, "-o", out); code != 0 {
			t.Fatalf("create %s: %d %s", src, code, errs)
		}
	}
	d := startDaemon(t, t.TempDir(), "--rpc", "127.0.0.1:0")
	url := d.waitFor(t, `HTTP control on (http://\S+/) `, time.Second)[1]
	d.must(t, "add", seededTorrent, "-o", dir)
	d.waitRow(t, 1, "seeding", 30*time.Second, func(r daemon.Row) bool { return r.State == "seeding" })

	ctx := chromeContext(t, chromium)
	browse(t, ctx, "open the page", chromedp.Navigate(url),
		chromedp.WaitVisible(`#rows tr[data-id="1"][data-state="seeding"]`))
	saveShot(t, "list.png", get(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
	name := get(t, ctx, "read the row", chromedp.Text(`#rows tr[data-id="1"] td.name`))
	if !strings.Contains(name, "seeded") {
		t.Errorf("row 1 names %q, want the torrent's name", name)
	}

	browse(t, ctx, "click Pause", chromedp.Click(`#rows tr[data-id="1"] button.pause`))
	d.waitRow(t, 1, "paused after the click", 15*time.Second, func(r daemon.Row) bool { return r.State == "paused" })
	browse(t, ctx, "see it paused", chromedp.WaitVisible(`#rows tr[data-id="1"][data-state="paused"] button.resume`))

	browse(t, ctx, "upload a .torrent", chromedp.SetUploadFiles(`#add-file`, []string{uploadTorrent}),
		chromedp.Click(`#add-go`), chromedp.WaitVisible(`#add-msg.ok`), chromedp.WaitVisible(`#rows tr[data-id="2"]`))
	msg := get(t, ctx, "read the add message", chromedp.Text(`#add-msg`))
	if !strings.Contains(msg, "added #2") {
		t.Errorf("after the upload the form says %q, want \"added #2 ...\"", msg)
	}
	r := d.waitRow(t, 2, "listed after the upload", 15*time.Second, func(r daemon.Row) bool { return true })
	if r.Name != "uploaded" || r.Dir != d.dl {
		t.Errorf("uploaded torrent: name %q in %q, want \"uploaded\" in the daemon's download dir %q", r.Name, r.Dir, d.dl)
	}

	browse(t, ctx, "open the detail of #1", chromedp.Click(`#rows tr[data-id="1"] td.name`),
		chromedp.WaitVisible(`#detail[data-id="1"] #d-files tr:nth-child(2)`))
	saveShot(t, "detail.png", get(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
	pieces := get(t, ctx, "read the piece count", chromedp.Text(`#d-pieces`))
	if !strings.Contains(pieces, "verified") {
		t.Errorf("piece map caption %q, want \"N of M verified\"", pieces)
	}
	// Each file's path links to its stream URL.
	href := get(t, ctx, "read file 0's link", chromedp.Evaluate[string](`document.querySelector("#d-files tr:first-child td.name a").href`))
	if det := d.waitDetail(t, "1", "stream URLs", func(det daemon.Detail) bool { return len(det.URLs) == 2 }); href != det.URLs[0] {
		t.Errorf("file 0 links to %q, want its stream URL %q", href, det.URLs[0])
	}

	// Labels typed in the detail are saved over the API, shown in the
	// list, and the filter finds the torrent by them.
	browse(t, ctx, "label #1", chromedp.SendKeys(`#d-labels`, "archive, linux"), chromedp.Click(`#d-labels-save`),
		chromedp.WaitVisible(`#rows tr[data-id="1"] span.label`))
	if r := d.waitRow(t, 1, "labelled", 10*time.Second, func(r daemon.Row) bool { return len(r.Labels) == 2 }); r.Labels[0] != "archive" || r.Labels[1] != "linux" {
		t.Errorf("labels over the API: %q, want [archive linux]", r.Labels)
	}
	browse(t, ctx, "filter by label", chromedp.SendKeys(`#filter`, "archive"), chromedp.WaitNotPresent(`#rows tr[data-id="2"]`),
		chromedp.WaitVisible(`#rows tr[data-id="1"]`))
	saveShot(t, "filtered.png", get(t, ctx, "screenshot", chromedp.FullScreenshot(100)))

	// The torrent's own limits, set in the detail, reach the daemon.
	browse(t, ctx, "set limits", chromedp.SendKeys(`#d-up`, "300"), chromedp.SendKeys(`#d-ratio`, "2"),
		chromedp.Click(`#d-limits-save`))
	det := d.waitDetail(t, "1", "its own limits", func(det daemon.Detail) bool { return det.Settings.UpLimitBps != 0 })
	if det.Settings.UpLimitBps != 300<<10 || det.Settings.SeedRatio != 2 || det.Settings.DownLimitBps != 0 {
		t.Errorf("settings after the limits form: %+v; want up 300 KiB/s, ratio 2, no down limit", det.Settings)
	}

	// A file set to skip in its select is skipped over the API.
	get(t, ctx, "skip file 1", chromedp.Evaluate[bool](`(() => { const s = document.querySelectorAll("#d-files select")[1];
		s.value = "skip"; s.dispatchEvent(new Event("change")); return true; })()`))
	d.waitDetail(t, "1", "file 1 skipped", func(det daemon.Detail) bool {
		return len(det.Torrent.Files) == 2 && det.Torrent.Files[1].Priority < 0 && det.Torrent.Files[0].Priority == 0
	})

	// Remove #2 from its detail: gone over the API, its (empty) folder's
	// data untouched as the box was not ticked.
	get(t, ctx, "clear the filter", chromedp.Evaluate[bool](`(() => { const f = document.getElementById("filter");
		f.value = ""; f.dispatchEvent(new Event("input")); return true; })()`))
	browse(t, ctx, "see #2 again", chromedp.WaitVisible(`#rows tr[data-id="2"]`))

	// #2 has no peers, no trackers and no DHT: after a few seconds its row
	// says why it does not move.
	browse(t, ctx, "the why-stuck line", chromedp.WaitVisible(`#rows tr[data-id="2"] div.why`))
	if why := get(t, ctx, "read it", chromedp.Text(`#rows tr[data-id="2"] div.why`)); !strings.Contains(why, "no way to find peers") {
		t.Errorf("#2's why-stuck line: %q, want the engine's \"no way to find peers ...\"", why)
	}
	saveShot(t, "stuck.png", get(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
	browse(t, ctx, "remove #2", chromedp.Click(`#rows tr[data-id="2"] td.name`), chromedp.WaitVisible(`#detail[data-id="2"]`),
		chromedp.Click(`#d-remove`), chromedp.WaitNotPresent(`#rows tr[data-id="2"]`))
	for _, r := range d.rows(t) {
		if r.ID == 2 {
			t.Errorf("#2 is still listed after Remove: %+v", r)
		}
	}
}

// chromeContext starts headless Chromium with no network of its own (no
// background fetches, updates or sync) and ends it at cleanup.
func chromeContext(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser, which lives as long as the
	// context of that call: so no timeout on this one.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return ctx
}

// browse runs browser actions with a deadline generous for a loaded machine.
func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		t.Fatalf("%s: %v\npage:\n%.3000s", what, err, pageHTML(ctx))
	}
}

// get runs one browser action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("%s: %v\npage:\n%.3000s", what, err, pageHTML(ctx))
	}
	return v
}

func pageHTML(ctx context.Context) string {
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	body, _ := chromedp.Run(tctx, chromedp.OuterHTML("body")) // best effort, for the message
	return body
}

func saveShot(t *testing.T, name string, png []byte) {
	t.Helper()
	if dir := os.Getenv("SHOAL_WEBUI_SHOTS"); dir != "" && len(png) > 0 {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// The web UI is also on the control socket, for a browser that reaches it
// through a forward (ssh -L 8080:/run/user/1000/shoal/daemon.sock).
func TestWebUI_OnTheSocket(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", d.sock)
	}}}
	for path, want := range map[string]string{"/": "<title>shoal</title>", "/app.js": "function poll", "/v1/torrents": "[]", "/metrics": "shoal_torrents{state=\"seeding\"} 0", "/nope": `"not-found"`} {
		resp, err := c.Get("http://shoal" + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("GET %s on the socket: %s %.100q, want it to contain %q", path, resp.Status, b, want)
		}
	}
}
