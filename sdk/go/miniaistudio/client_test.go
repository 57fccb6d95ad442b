package miniaistudio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Unit tests against httptest servers that answer as the studio does; live_test.go runs the
// same client against a real studio.

func init() { initialBackoff = time.Millisecond }

func newServer(t *testing.T, handler http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	return &Client{APIKey: "mas_test", BaseURL: server.URL + "/"}, server
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func TestCredentialsAndSessionHeader(t *testing.T) {
	var seen http.Header
	var path string
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		seen, path = r.Header.Clone(), r.URL.Path
		writeJSON(w, 202, map[string]any{"run_id": "r1", "status": "queued", "nodes": map[string]any{}})
	})
	run, err := c.ExecuteFull(context.Background(), "s-1")
	if err != nil {
		t.Fatal(err)
	}
	if run.RunID != "r1" || run.Finished() {
		t.Fatalf("run %+v", run)
	}
	if path != "/api/v2/session/execute" || seen.Get("Authorization") != "Bearer mas_test" ||
		seen.Get("X-Session-ID") != "s-1" || !strings.HasPrefix(seen.Get("User-Agent"), "miniaistudio-go-sdk/") {
		t.Fatalf("path %s headers %v", path, seen)
	}

	c.APIKey, c.Token = "", "jwt-token"
	if _, err := c.GetBalance(context.Background()); err != nil {
		t.Fatal(err)
	}
	if seen.Get("Authorization") != "Bearer jwt-token" || seen.Get("X-Session-ID") != "" {
		t.Fatalf("headers %v", seen)
	}
}

func TestErrorsCarryTheStableCode(t *testing.T) {
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/recipes/nope" {
			writeJSON(w, 404, map[string]any{"code": "RECIPE_NOT_FOUND", "message": "no recipe 'nope'"})
			return
		}
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>bad gateway</html>")
	})
	_, err := c.GetRecipe(context.Background(), "nope")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "RECIPE_NOT_FOUND" || apiErr.Status != 404 ||
		apiErr.Message != "no recipe 'nope'" || !IsCode(err, "RECIPE_NOT_FOUND") {
		t.Fatalf("error %#v", err)
	}
	c.MaxRetries = -1
	_, err = c.Ping(context.Background())
	if !IsCode(err, "HTTP_502") || !strings.Contains(err.Error(), "bad gateway") {
		t.Fatalf("error %v", err)
	}
}

func TestRateLimitedCallsWaitRetryAfterAndAreRepeated(t *testing.T) {
	var calls atomic.Int32
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.Header().Set("Retry-After", "0.05")
			writeJSON(w, 429, map[string]any{"code": "RATE_LIMITED", "message": "slow down"})
			return
		}
		writeJSON(w, 200, map[string]any{"session_id": "s-9"})
	})
	started := time.Now()
	// A POST that is not idempotent is still repeated after a 429: the limiter refused it before any work.
	run, err := c.RunRecipe(context.Background(), "media_split", RunRecipeRequest{Execute: true})
	if err != nil || run.SessionID != "s-9" || calls.Load() != 3 {
		t.Fatalf("run %v err %v calls %d", run, err, calls.Load())
	}
	if elapsed := time.Since(started); elapsed < 100*time.Millisecond {
		t.Fatalf("Retry-After not honoured: %s", elapsed)
	}
}

func TestServerErrorsAreRetriedWhenSafe(t *testing.T) {
	var calls atomic.Int32
	keys := map[string]int{}
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if key := r.Header.Get("Idempotency-Key"); key != "" {
			keys[key]++
		}
		writeJSON(w, 503, map[string]any{"code": "BILLING_UNAVAILABLE", "message": "try again"})
	})
	_, err := c.GetBalance(context.Background())
	if !IsCode(err, "BILLING_UNAVAILABLE") || calls.Load() != 1+DefaultMaxRetries {
		t.Fatalf("GET: err %v after %d calls", err, calls.Load())
	}
	calls.Store(0)
	_, err = c.ExecuteFull(context.Background(), "s-1")
	// a POST carries one Idempotency-Key on all its sendings: the studio replays, never runs twice
	if !IsCode(err, "BILLING_UNAVAILABLE") || calls.Load() != 1+DefaultMaxRetries || len(keys) != 1 {
		t.Fatalf("POST: err %v after %d calls with keys %v", err, calls.Load(), keys)
	}
	calls.Store(0)
	c.MaxRetries = 1
	if _, err = c.StopSession(context.Background(), "s-1"); calls.Load() != 2 {
		t.Fatalf("stop is idempotent and retried (bounded): %d calls, %v", calls.Load(), err)
	}
}

func TestALongRetryAfterIsNotWaitedFor(t *testing.T) {
	var calls atomic.Int32
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "3600")
		writeJSON(w, 429, map[string]any{"code": "RATE_LIMITED", "message": "later"})
	})
	_, err := c.Ping(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != time.Hour || calls.Load() != 1 {
		t.Fatalf("err %v calls %d", err, calls.Load())
	}
}

func TestRetryAfterForms(t *testing.T) {
	if d := parseRetryAfter("7"); d != 7*time.Second {
		t.Fatal(d)
	}
	if d := parseRetryAfter(time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)); d < 28*time.Second || d > 30*time.Second {
		t.Fatal(d)
	}
	if parseRetryAfter("soon") != 0 || parseRetryAfter("") != 0 || parseRetryAfter("-3") != 0 {
		t.Fatal("unreadable Retry-After must be 0")
	}
	for attempt := 0; attempt < 10; attempt++ {
		if d := backoff(attempt); d <= 0 || d > maxBackoff {
			t.Fatalf("backoff(%d) = %s", attempt, d)
		}
	}
}

func TestCanceledContextStopsRetrying(t *testing.T) {
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		writeJSON(w, 429, map[string]any{"code": "RATE_LIMITED", "message": "later"})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.ListRecipes(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}

const execution = `{"run": {"run_id": "r1", "session_id": "s", "mode": "full", "status": "succeeded",
  "created_at": 1, "counts": {"succeeded": 3}, "loops": {}, "nodes": {
    "split": {"node_type": "video.split", "status": "succeeded", "progress": 1, "outputs": {
      "video": {"media_id": "m-v", "kind": "video", "mime": "video/mp4", "width": 160, "height": 120,
                "duration": 1.0, "url": "/api/v2/media/m-v/download"},
      "audio": {"media_id": "m-a", "kind": "audio", "mime": "audio/mp4", "width": null, "height": null,
                "duration": 1.0, "url": "/api/v2/media/m-a/download"}}},
    "frames": {"node_type": "upload.image", "status": "succeeded", "progress": 1, "outputs": {
      "images": [{"media_id": "m-2", "kind": "image", "mime": "image/png", "url": "/api/v2/media/m-2/download"},
                 {"media_id": "m-3", "kind": "image", "mime": "image/png", "url": "/api/v2/media/m-3/download"}],
      "count": 2}},
    "caption": {"node_type": "text", "status": "succeeded", "progress": 1, "outputs": {"text": "hello"}}}}}`

func TestParseExecutionOutputsFlattensMediaByKind(t *testing.T) {
	outputs, err := ParseExecutionOutputs(json.RawMessage(execution))
	if err != nil {
		t.Fatal(err)
	}
	images, videos, audios := outputs.FlattenImages(), outputs.FlattenVideos(), outputs.FlattenAudios()
	if outputs.RunID != "r1" || outputs.Status != RunSucceeded || len(images) != 2 || len(videos) != 1 || len(audios) != 1 {
		t.Fatalf("%+v", outputs)
	}
	if images[0].MediaID != "m-2" || images[0].NodeID != "frames" || images[0].Output != "images" ||
		*videos[0].Width != 160 || audios[0].Width != nil || audios[0].NodeID != "split" {
		t.Fatalf("images %+v videos %+v audios %+v", images, videos, audios)
	}
	var text string
	if err := json.Unmarshal(outputs.Node("caption").Values["text"], &text); err != nil || text != "hello" {
		t.Fatalf("text %q %v", text, err)
	}

	empty, err := ParseExecutionOutputs(json.RawMessage(`{"run": null}`))
	if err != nil || empty.RunID != "" || len(empty.FlattenImages()) != 0 {
		t.Fatalf("%+v %v", empty, err)
	}
	if _, err := ParseExecutionOutputs(nil); err == nil {
		t.Fatal("nothing to parse must be an error")
	}
	direct, err := ParseRun(json.RawMessage(`{"run_id": "r2", "status": "running", "nodes": {}}`))
	if err != nil || direct.RunID != "r2" || direct.Finished() {
		t.Fatalf("%+v %v", direct, err)
	}
	var none *ExecutionOutputs
	if len(none.FlattenVideos()) != 0 {
		t.Fatal("a nil result has no media")
	}
}

func TestPollSessionUntilDone(t *testing.T) {
	var calls atomic.Int32
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/session/execution" || r.Header.Get("X-Session-ID") != "s-1" {
			writeJSON(w, 400, map[string]any{"code": "MISSING_SESSION_ID", "message": "?"})
			return
		}
		status := "running"
		if calls.Add(1) >= 3 {
			status = "succeeded"
		}
		writeJSON(w, 200, map[string]any{"run": map[string]any{"run_id": "r1", "status": status}})
	})
	raw, err := c.PollSession(context.Background(), "s-1", time.Millisecond, nil)
	if err != nil || calls.Load() != 3 || !RunFinished(raw) {
		t.Fatalf("raw %s err %v calls %d", raw, err, calls.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	never := func(json.RawMessage) bool { return false }
	if _, err := c.PollSession(ctx, "s-1", 5*time.Millisecond, never); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}

func TestUploadStudioFileStreamsAMultipartFile(t *testing.T) {
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		file, header, err := r.FormFile("file")
		if err != nil {
			writeJSON(w, 400, map[string]any{"code": "INVALID_UPLOAD", "message": err.Error()})
			return
		}
		content, _ := io.ReadAll(file)
		writeJSON(w, 201, map[string]any{"items": []map[string]any{{
			"id": "m-1", "media_type": "image", "filename": header.Filename, "size_bytes": len(content),
			"session_id": r.URL.Query().Get("session_id"), "url": "/api/v2/media/m-1/download"}}})
	})
	up, err := c.UploadStudioFile(context.Background(), "s-1", "ünïcode \"name\".png", strings.NewReader("PNGDATA"))
	if err != nil {
		t.Fatal(err)
	}
	item := up.Items[0]
	if item.Filename != "ünïcode \"name\".png" || item.SizeBytes != 7 || *item.SessionID != "s-1" {
		t.Fatalf("%+v", item)
	}
	if got := c.AbsoluteURL(item.URL); !strings.HasPrefix(got, "http://") || strings.Contains(got, "//api") {
		t.Fatalf("absolute URL %s", got)
	}
	if got := c.AbsoluteURL("https://cdn.example.com/x.png"); got != "https://cdn.example.com/x.png" {
		t.Fatal(got)
	}
}

func TestBaseURLFromTheEnvironment(t *testing.T) {
	t.Setenv("MINIAI_URL", "http://studio.example:9000/")
	if got := (&Client{}).AbsoluteURL("/api/v2/ping"); got != "http://studio.example:9000/api/v2/ping" {
		t.Fatal(got)
	}
	t.Setenv("MINIAI_URL", "")
	if got := (&Client{}).AbsoluteURL("api/v2/ping"); got != DefaultBaseURL+"/api/v2/ping" {
		t.Fatal(got)
	}
}

func TestLoRAChainsSendDefaultsTheStudioFillsIn(t *testing.T) {
	var body map[string][]map[string]any
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&body)
		writeJSON(w, 200, map[string]any{"loras": []map[string]any{{"id": "l1", "name": "a", "filename": "a.safetensors", "weight": 1.0}}})
	})
	chain, err := c.ResolveLoRAChain(context.Background(), []LoRARef{{Name: "a"}, {ID: "l2", Weight: 0.5}})
	if err != nil || len(chain) != 1 || chain[0].Weight != 1.0 {
		t.Fatalf("%+v %v", chain, err)
	}
	if _, weighted := body["chain"][0]["weight"]; weighted || body["chain"][1]["weight"] != 0.5 {
		t.Fatalf("sent %v", body)
	}
}
