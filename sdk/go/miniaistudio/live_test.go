package miniaistudio

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

// Integration tests against a live studio: MINIAI_TEST_URL and MINIAI_TEST_API_KEY (a mas_ key of
// a user of that studio) name it; without them the tests are skipped. tests/sdk/ in the Python
// suite starts a studio and sets both.

func liveClient(t *testing.T) (*Client, context.Context) {
	t.Helper()
	base, key := os.Getenv("MINIAI_TEST_URL"), os.Getenv("MINIAI_TEST_API_KEY")
	if base == "" || key == "" {
		t.Skip("MINIAI_TEST_URL and MINIAI_TEST_API_KEY name no live studio")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &Client{APIKey: key, BaseURL: base}, ctx
}

// must(c.Ping(ctx)).of(t) is the value, or the test fails with the error.
func must[T any](value T, err error) result[T] { return result[T]{value, err} }

type result[T any] struct {
	value T
	err   error
}

func (r result[T]) of(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.value
}

func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != code || apiErr.Status != status || apiErr.Message == "" {
		t.Fatalf("want %s (%d), got %v", code, status, err)
	}
}

func TestLiveSystemBillingAndGPU(t *testing.T) {
	c, ctx := liveClient(t)
	pong := must(c.Ping(ctx)).of(t)
	if pong.Status != "ok" || pong.Version == "" {
		t.Fatalf("%+v", pong)
	}
	balance := must(c.GetBalance(ctx)).of(t)
	if balance.Total != balance.Available+balance.Reserved || (balance.Billing != "off" && balance.Billing != "credits") {
		t.Fatalf("%+v", balance)
	}
	stranger := &Client{APIKey: "mas_not_a_key", BaseURL: c.BaseURL}
	_, err := stranger.GetBalance(ctx)
	wantCode(t, err, "UNAUTHORIZED", 401)

	health := must(c.GetGPUSchedulerHealth(ctx)).of(t)
	if health.Status == "" || health.State == "" {
		t.Fatalf("%+v", health)
	}
	started := must(c.StartGPU(ctx)).of(t)
	if started.State != "ready" || !started.Ready || started.Device == nil {
		t.Fatalf("%+v", started)
	}
	if status := must(c.GetGPUStatus(ctx)).of(t); status.State != "ready" {
		t.Fatalf("%+v", status)
	}
	stopped := must(c.StopGPU(ctx, "")).of(t)
	if stopped.Mode != GPUStopGraceful || stopped.Ready {
		t.Fatalf("%+v", stopped)
	}
}

func TestLiveRecipes(t *testing.T) {
	c, ctx := liveClient(t)
	recipes := must(c.ListRecipes(ctx)).of(t)
	ids := map[string]Recipe{}
	for _, recipe := range recipes {
		ids[recipe.ID] = recipe
	}
	if ids["prompt_to_avatar"].Source != "bundled" || len(ids["media_split"].Inputs) == 0 {
		t.Fatalf("recipes %v", ids)
	}
	avatar := must(c.GetRecipe(ctx, "prompt_to_avatar")).of(t)
	if avatar.InputSchema["properties"].(map[string]any)["prompt"] == nil || avatar.Bindings["prompt"][0].Node != "avatar" {
		t.Fatalf("%+v", avatar)
	}
	_, err := c.GetRecipe(ctx, "no_such_recipe")
	wantCode(t, err, "RECIPE_NOT_FOUND", 404)
	_, err = c.RunRecipe(ctx, "prompt_to_avatar", RunRecipeRequest{Inputs: map[string]any{"prompt": ""}})
	wantCode(t, err, "SCHEMA_VALIDATION", 422)

	created := must(c.CreateSessionFromRecipe(ctx, "prompt_to_avatar", map[string]any{"prompt": "a fox"}, "Prepared")).of(t)
	session := must(c.GetSession(ctx, created.SessionID)).of(t)
	if session.Name != "Prepared" || session.NodeCount != 2 || len(session.Graph.Nodes) != 2 {
		t.Fatalf("%+v", session)
	}
	raw := must(c.GetSessionExecution(ctx, created.SessionID)).of(t)
	if outputs := must(ParseExecutionOutputs(raw)).of(t); outputs.RunID != "" {
		t.Fatalf("execute=false must not run: %s", raw)
	}
}

func pngOf(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		for y := 0; y < 30; y++ {
			img.Set(x, y, color.RGBA{R: uint8(x * 6), G: 80, B: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLiveSessionUploadRunAndOutputs(t *testing.T) {
	c, ctx := liveClient(t)
	session := must(c.NewSession(ctx, "Go SDK")).of(t)
	upload := must(c.UploadStudioFile(ctx, session.ID, "dégradé.png", bytes.NewReader(pngOf(t)))).of(t)
	if len(upload.Items) != 1 || upload.Items[0].MediaType != "image" || *upload.Items[0].Width != 40 ||
		upload.Items[0].Filename != "dégradé.png" {
		t.Fatalf("%+v", upload)
	}
	flow := StudioFlow{Version: session.Version, Graph: Graph{
		Nodes: []Node{
			{ID: "photo", Type: "upload.image", Params: map[string]any{"media_ids": []string{upload.Items[0].ID}}},
			{ID: "bg", Type: "image.solid_color", Position: Position{X: 0, Y: 200},
				Params: map[string]any{"width": 64, "height": 48, "color": "#224488"}},
			{ID: "inv", Type: "image.adjust", Position: Position{X: 300}, Params: map[string]any{"invert": true}},
		},
		Edges: []Edge{{ID: "e1", Source: "photo", SourceHandle: "image", Target: "inv", TargetHandle: "image"}},
	}}
	saved := must(c.PutStudioFlow(ctx, session.ID, flow)).of(t)
	if saved.Version != session.Version+1 || saved.NodeCount != 3 {
		t.Fatalf("%+v", saved)
	}
	_, err := c.PutStudioFlow(ctx, session.ID, flow) // based on the old version
	wantCode(t, err, "GRAPH_VERSION_CONFLICT", 409)

	run := must(c.ExecuteFull(ctx, session.ID)).of(t)
	if run.RunID == "" || run.SessionID != session.ID {
		t.Fatalf("%+v", run)
	}
	raw := must(c.PollSession(ctx, session.ID, 100*time.Millisecond, nil)).of(t)
	outputs := must(ParseExecutionOutputs(raw)).of(t)
	if outputs.RunID != run.RunID || outputs.Status != RunSucceeded {
		t.Fatalf("%s", raw)
	}
	images := outputs.FlattenImages()
	byNode := map[string]MediaOutput{}
	for _, img := range images {
		byNode[img.NodeID] = img
	}
	if len(images) != 3 || *byNode["inv"].Width != 40 || *byNode["bg"].Height != 48 || len(outputs.FlattenVideos()) != 0 {
		t.Fatalf("images %+v", images)
	}

	req := must(http.NewRequestWithContext(ctx, http.MethodGet, c.AbsoluteURL(byNode["inv"].URL), nil)).of(t)
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	resp := must(http.DefaultClient.Do(req)).of(t)
	defer resp.Body.Close()
	body := must(io.ReadAll(resp.Body)).of(t)
	decoded, err := png.Decode(bytes.NewReader(body))
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("download: %d %v", resp.StatusCode, err)
	}
	if r, g, b, _ := decoded.At(0, 0).RGBA(); r>>8 != 255 || g>>8 != 175 || b>>8 != 55 {
		t.Fatalf("the inverted pixel is %d %d %d", r>>8, g>>8, b>>8)
	}

	stop := must(c.StopSession(ctx, session.ID)).of(t)
	if stop.Stopped {
		t.Fatalf("nothing was running: %+v", stop)
	}
	canceled := must(c.CancelNodeExecution(ctx, session.ID, "inv")).of(t)
	if canceled.NodeID != "inv" || canceled.Canceled {
		t.Fatalf("%+v", canceled)
	}
	_, err = c.GetSessionExecution(ctx, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, "SESSION_NOT_FOUND", 404)
}

func TestLiveLoRAs(t *testing.T) {
	c, ctx := liveClient(t)
	loras := must(c.ListLoRAs(ctx)).of(t)
	for _, lora := range loras {
		if lora.Kind != "lora" {
			t.Fatalf("%+v", lora)
		}
	}
	_, err := c.ResolveLoRAChain(ctx, []LoRARef{{Name: "no-such-lora", Weight: 0.7}})
	wantCode(t, err, "LORA_NOT_FOUND", 404)
	_, err = c.ResolveLoRAChainByFilename(ctx, []LoRAFile{{Filename: "missing.safetensors"}})
	wantCode(t, err, "LORA_NOT_FOUND", 404)
	chain := must(c.ResolveLoRAChain(ctx, nil)).of(t)
	if len(chain) != 0 {
		t.Fatalf("%+v", chain)
	}
}
