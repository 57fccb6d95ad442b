package miniaistudio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"time"
)

const v2 = "/api/v2"

// -- recipes ------------------------------------------------------------------------------------

// ListRecipes lists the recipes the caller may run, with their input schemas.
func (c *Client) ListRecipes(ctx context.Context) ([]Recipe, error) {
	var out struct {
		Recipes []Recipe `json:"recipes"`
	}
	err := c.do(ctx, call{method: http.MethodGet, path: v2 + "/recipes"}, &out)
	return out.Recipes, err
}

// GetRecipe returns one recipe with its bindings and graph.
func (c *Client) GetRecipe(ctx context.Context, recipeID string) (*RecipeDetail, error) {
	var out RecipeDetail
	if err := c.do(ctx, call{method: http.MethodGet, path: v2 + "/recipes/" + url.PathEscape(recipeID)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateSessionFromRecipe prepares a session from a recipe without running it (execute=false):
// the user can open and edit the workflow first.
func (c *Client) CreateSessionFromRecipe(ctx context.Context, recipeID string, inputs map[string]any,
	sessionName string) (*RecipeRun, error) {
	return c.RunRecipe(ctx, recipeID, RunRecipeRequest{Inputs: inputs, SessionName: sessionName})
}

// RunRecipe creates a session from a recipe; with Execute it also starts a full run (follow it
// with PollSession). Inputs failing the recipe's schema answer SCHEMA_VALIDATION.
func (c *Client) RunRecipe(ctx context.Context, recipeID string, req RunRecipeRequest) (*RecipeRun, error) {
	if req.Inputs == nil {
		req.Inputs = map[string]any{}
	}
	var out RecipeRun
	err := c.do(ctx, call{method: http.MethodPost, path: v2 + "/recipes/" + url.PathEscape(recipeID) + "/run",
		body: req}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// -- sessions -----------------------------------------------------------------------------------

// NewSession creates an empty session.
func (c *Client) NewSession(ctx context.Context, name string) (*Session, error) {
	body := map[string]any{}
	if name != "" {
		body["name"] = name
	}
	var out Session
	if err := c.do(ctx, call{method: http.MethodPost, path: v2 + "/sessions", body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSession returns a session with its graph.
func (c *Client) GetSession(ctx context.Context, sessionID string) (*Session, error) {
	var out Session
	if err := c.do(ctx, call{method: http.MethodGet, path: v2 + "/sessions/" + url.PathEscape(sessionID)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PutStudioFlow saves a session's graph (and viewport and tabs when given). flow.Version is the
// version the write is based on; the answer carries the new one.
func (c *Client) PutStudioFlow(ctx context.Context, sessionID string, flow StudioFlow) (*SessionSummary, error) {
	if flow.Graph.Nodes == nil {
		flow.Graph.Nodes = []Node{}
	}
	if flow.Graph.Edges == nil {
		flow.Graph.Edges = []Edge{}
	}
	var out SessionSummary
	err := c.do(ctx, call{method: http.MethodPut, path: v2 + "/sessions/" + url.PathEscape(sessionID) + "/flow",
		body: flow}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RunFinished is PollSession's usual done: true once the session's latest run has ended.
func RunFinished(raw json.RawMessage) bool {
	var current struct {
		Run *Run `json:"run"`
	}
	return json.Unmarshal(raw, &current) == nil && current.Run.Finished()
}

// PollSession asks for the session's execution (GetSessionExecution) every interval until done
// says so, and returns that last answer. A nil done is RunFinished. It ends early with the
// context's error, or with the first error the studio answers.
func (c *Client) PollSession(ctx context.Context, sessionID string, interval time.Duration,
	done func(raw json.RawMessage) bool) (json.RawMessage, error) {
	if done == nil {
		done = RunFinished
	}
	if interval <= 0 {
		interval = time.Second
	}
	for {
		raw, err := c.GetSessionExecution(ctx, sessionID)
		if err != nil {
			return nil, err
		}
		if done(raw) {
			return raw, nil
		}
		if err := sleep(ctx, interval); err != nil {
			return nil, err
		}
	}
}

// -- execution ----------------------------------------------------------------------------------

// ExecuteFull starts a full run of the session (cached nodes are reused) and answers at once
// with the run as it starts; follow it with PollSession.
func (c *Client) ExecuteFull(ctx context.Context, sessionID string) (*Run, error) {
	var out Run
	err := c.do(ctx, call{method: http.MethodPost, path: v2 + "/session/execute", sessionID: sessionID,
		body: map[string]string{"mode": "full"}}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// StopSession stops the session's run; the saved session is left intact.
func (c *Client) StopSession(ctx context.Context, sessionID string) (*StopResult, error) {
	var out StopResult
	err := c.do(ctx, call{method: http.MethodPost, path: v2 + "/session/stop", sessionID: sessionID,
		idempotent: true}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelNodeExecution cancels one queued or running node of the session's run.
func (c *Client) CancelNodeExecution(ctx context.Context, sessionID, nodeID string) (*NodeCancelResult, error) {
	var out NodeCancelResult
	err := c.do(ctx, call{method: http.MethodPost, path: v2 + "/session/nodes/" + url.PathEscape(nodeID) + "/cancel",
		sessionID: sessionID, idempotent: true}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSessionExecution returns the session's active or latest run as the studio answers it,
// {"run": {...} | null}: read it with ParseExecutionOutputs or ParseRun.
func (c *Client) GetSessionExecution(ctx context.Context, sessionID string) (json.RawMessage, error) {
	var raw json.RawMessage
	err := c.do(ctx, call{method: http.MethodGet, path: v2 + "/session/execution", sessionID: sessionID}, &raw)
	if err != nil {
		return nil, err
	}
	return raw, nil
}

// -- uploads ------------------------------------------------------------------------------------

// UploadStudioFile uploads one file into the session's gallery (the caller needs the editor
// role); use the answer's media id in an upload node's media_ids. An empty sessionID uploads
// into the caller's own gallery. The content is streamed, and not retried.
func (c *Client) UploadStudioFile(ctx context.Context, sessionID, filename string, content io.Reader) (*Upload, error) {
	if filename == "" {
		return nil, errors.New("miniaistudio: UploadStudioFile needs a file name")
	}
	reader, writer := io.Pipe()
	form := multipart.NewWriter(writer)
	go func() {
		part, err := form.CreateFormFile("file", filename)
		if err == nil {
			_, err = io.Copy(part, content)
		}
		if err == nil {
			err = form.Close()
		}
		writer.CloseWithError(err)
	}()
	target := c.baseURL() + v2 + "/media/upload"
	if sessionID != "" {
		target += "?" + url.Values{"session_id": {sessionID}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, reader)
	if err != nil {
		reader.CloseWithError(err)
		return nil, fmt.Errorf("miniaistudio: %w", err)
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	c.authorize(req, sessionID)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		reader.CloseWithError(err)
		return nil, fmt.Errorf("miniaistudio: uploading %s: %w", filename, err)
	}
	defer resp.Body.Close()
	reader.CloseWithError(io.ErrClosedPipe) // the server answered: stop feeding it
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("miniaistudio: reading the upload's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		return nil, errorFrom(resp, body)
	}
	var out Upload
	if err := decodeInto(body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// -- LoRAs --------------------------------------------------------------------------------------

// ListLoRAs lists the installed LoRAs.
func (c *Client) ListLoRAs(ctx context.Context) ([]Model, error) {
	var out struct {
		LoRAs []Model `json:"loras"`
	}
	err := c.do(ctx, call{method: http.MethodGet, path: v2 + "/loras"}, &out)
	return out.LoRAs, err
}

// ResolveLoRAChain resolves LoRAs named by id or name into an ordered chain with weights
// (MODEL_NOT_INSTALLED for one that is not installed).
func (c *Client) ResolveLoRAChain(ctx context.Context, chain []LoRARef) ([]ResolvedLoRA, error) {
	if chain == nil {
		chain = []LoRARef{}
	}
	var out struct {
		LoRAs []ResolvedLoRA `json:"loras"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: v2 + "/loras/resolve", idempotent: true,
		body: map[string]any{"chain": chain}}, &out)
	return out.LoRAs, err
}

// ResolveLoRAChainByFilename is ResolveLoRAChain for LoRAs named by their file names.
func (c *Client) ResolveLoRAChainByFilename(ctx context.Context, chain []LoRAFile) ([]ResolvedLoRA, error) {
	if chain == nil {
		chain = []LoRAFile{}
	}
	var out struct {
		LoRAs []ResolvedLoRA `json:"loras"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: v2 + "/loras/resolve-by-filename", idempotent: true,
		body: map[string]any{"chain": chain}}, &out)
	return out.LoRAs, err
}

// -- billing and GPU ----------------------------------------------------------------------------

// GetBalance returns the caller's available, reserved and total credits.
func (c *Client) GetBalance(ctx context.Context) (*Balance, error) {
	var out Balance
	if err := c.do(ctx, call{method: http.MethodGet, path: v2 + "/billing/balance"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Ping checks that the studio answers (no credential needed).
func (c *Client) Ping(ctx context.Context) (*Pong, error) {
	var out Pong
	if err := c.do(ctx, call{method: http.MethodGet, path: v2 + "/ping"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetGPUSchedulerHealth returns the GPU scheduler's health and task counters.
func (c *Client) GetGPUSchedulerHealth(ctx context.Context) (*GPUHealth, error) {
	var out GPUHealth
	if err := c.do(ctx, call{method: http.MethodGet, path: v2 + "/gpu/scheduler/health"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetGPUStatus returns the GPU runtime's state and whether it accepts tasks.
func (c *Client) GetGPUStatus(ctx context.Context) (*GPUStatus, error) {
	var out GPUStatus
	if err := c.do(ctx, call{method: http.MethodGet, path: v2 + "/gpu/status"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// StartGPU brings the GPU runtime to ready (billed as GPU time when billing is on).
func (c *Client) StartGPU(ctx context.Context) (*GPUStatus, error) {
	var out GPUStatus
	if err := c.do(ctx, call{method: http.MethodPost, path: v2 + "/gpu/start", idempotent: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// StopGPU stops the GPU runtime: GPUStopGraceful (also for "") lets running tasks finish,
// GPUStopImmediate cancels them.
func (c *Client) StopGPU(ctx context.Context, mode string) (*GPUStopResult, error) {
	if mode == "" {
		mode = GPUStopGraceful
	}
	var out GPUStopResult
	err := c.do(ctx, call{method: http.MethodPost, path: v2 + "/gpu/stop", idempotent: true,
		body: map[string]string{"mode": mode}}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
