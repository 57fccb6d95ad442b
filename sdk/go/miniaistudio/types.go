package miniaistudio

import (
	"encoding/json"
	"time"
)

// Answers of /api/v2, field for field as the studio's OpenAPI document (/api/v2/openapi.json)
// describes them. Fields a type does not name are ignored; free-form documents (graphs, JSON
// Schemas, parameters) stay maps.

// Recipe is one entry of ListRecipes.
type Recipe struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Version     string         `json:"version"`
	Category    string         `json:"category"`
	InputSchema map[string]any `json:"input_schema"` // JSON Schema (2020-12) of the inputs
	Inputs      []string       `json:"inputs"`
	Source      string         `json:"source,omitempty"` // bundled, admin or user (ListRecipes only)
}

// Binding says where a recipe input goes: a node parameter (Field) or an upload node (Media).
type Binding struct {
	Node  string `json:"node"`
	Field string `json:"field,omitempty"`
	Media string `json:"media,omitempty"`
}

// RecipeDetail is GetRecipe's answer: the recipe with its bindings and graph.
type RecipeDetail struct {
	Recipe
	Bindings map[string][]Binding `json:"bindings"`
	Graph    map[string]any       `json:"graph"`
}

// RunRecipeRequest is the body of POST /api/v2/recipes/{id}/run. Execute=false prepares the
// session without running it; SessionName empty lets the studio name it after the recipe.
type RunRecipeRequest struct {
	Inputs      map[string]any `json:"inputs"`
	Execute     bool           `json:"execute"`
	SessionName string         `json:"session_name,omitempty"`
}

// RecipeRun is the session a recipe created.
type RecipeRun struct {
	SessionID string `json:"session_id"`
}

// Position of a node on the canvas.
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Node of a graph document. Params are the node type's parameters (GET /api/v2/nodes).
type Node struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Position Position       `json:"position"`
	Params   map[string]any `json:"params,omitempty"`
	Title    string         `json:"title,omitempty"`
	Notes    string         `json:"notes,omitempty"`
	Width    *float64       `json:"width,omitempty"`
	Height   *float64       `json:"height,omitempty"`
	ParentID string         `json:"parent_id,omitempty"`
	UI       map[string]any `json:"ui,omitempty"`
}

// Edge links an output socket (SourceHandle) to an input socket (TargetHandle).
type Edge struct {
	ID           string `json:"id"`
	Source       string `json:"source"`
	SourceHandle string `json:"source_handle"`
	Target       string `json:"target"`
	TargetHandle string `json:"target_handle"`
}

// Graph is the session's workflow document.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Viewport of the canvas.
type Viewport struct {
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	Zoom float64 `json:"zoom"`
}

// StudioFlow is what PutStudioFlow saves. Version is the session version the write is based on
// (Session.Version): a stale one is refused with GRAPH_VERSION_CONFLICT.
type StudioFlow struct {
	Graph    Graph     `json:"graph"`
	Version  int64     `json:"version"`
	Viewport *Viewport `json:"viewport,omitempty"`
	Tabs     []any     `json:"tabs,omitempty"`
}

// SessionSummary is a session without its documents (PutStudioFlow's answer).
type SessionSummary struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Version    int64     `json:"version"`
	Role       string    `json:"role"`
	NodeCount  int       `json:"node_count"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	OwnerEmail string    `json:"owner_email,omitempty"`
}

// Session is a session with its graph (NewSession, GetSession).
type Session struct {
	SessionSummary
	Graph    Graph     `json:"graph"`
	Viewport *Viewport `json:"viewport"`
	Tabs     []any     `json:"tabs"`
}

// ErrorInfo is a run's or a node's error.
type ErrorInfo struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// NodeRun is one node's state in a run. Outputs hold values by output socket; media values are
// objects with media_id, kind, mime and url (see ParseExecutionOutputs).
type NodeRun struct {
	NodeType   string                     `json:"node_type"`
	Status     string                     `json:"status"`
	Signature  string                     `json:"signature"`
	Progress   float64                    `json:"progress"`
	Message    *string                    `json:"message"`
	Outputs    map[string]json.RawMessage `json:"outputs"`
	Error      *ErrorInfo                 `json:"error"`
	StartedAt  *float64                   `json:"started_at"`
	FinishedAt *float64                   `json:"finished_at"`
}

// Run states (Run.Status).
const (
	RunQueued      = "queued"
	RunRunning     = "running"
	RunSucceeded   = "succeeded"
	RunFailed      = "failed"
	RunCanceled    = "canceled"
	RunInterrupted = "interrupted" // the server stopped while the run was active
)

// Run is one execution of a session's graph. Times are seconds since the epoch.
type Run struct {
	RunID        string             `json:"run_id"`
	SessionID    string             `json:"session_id"`
	Mode         string             `json:"mode"`
	TargetNodeID *string            `json:"target_node_id"`
	Status       string             `json:"status"`
	Error        *ErrorInfo         `json:"error"`
	CreatedAt    float64            `json:"created_at"`
	StartedAt    *float64           `json:"started_at"`
	FinishedAt   *float64           `json:"finished_at"`
	Counts       map[string]int     `json:"counts"`
	Nodes        map[string]NodeRun `json:"nodes"`
}

// Finished reports whether the run has ended (succeeded, failed, canceled or interrupted).
func (r *Run) Finished() bool {
	return r != nil && r.Status != "" && r.Status != RunQueued && r.Status != RunRunning
}

// StopResult is StopSession's answer.
type StopResult struct {
	Stopped bool    `json:"stopped"`
	RunID   *string `json:"run_id"`
}

// NodeCancelResult is CancelNodeExecution's answer.
type NodeCancelResult struct {
	NodeID   string `json:"node_id"`
	Canceled bool   `json:"canceled"`
}

// Media is a gallery item (uploads, generated files).
type Media struct {
	ID        string         `json:"id"`
	MediaType string         `json:"media_type"` // image, video or audio
	MIME      string         `json:"mime"`
	Filename  string         `json:"filename"`
	SizeBytes int64          `json:"size_bytes"`
	Width     *int           `json:"width"`
	Height    *int           `json:"height"`
	Duration  *float64       `json:"duration"`
	SessionID *string        `json:"session_id"`
	NodeID    *string        `json:"node_id"`
	RunID     *string        `json:"run_id"`
	Metadata  map[string]any `json:"metadata"`
	CreatedAt time.Time      `json:"created_at"`
	URL       string         `json:"url"` // a path: see Client.AbsoluteURL
}

// Upload is UploadStudioFile's answer: every stored file in Items (one per upload).
type Upload struct {
	Items []Media `json:"items"`
}

// Model is an installed model (ListLoRAs lists the LoRAs).
type Model struct {
	ID                   string         `json:"id"`
	DisplayName          string         `json:"display_name"`
	Kind                 string         `json:"kind"`
	Format               string         `json:"format"`
	Path                 string         `json:"path"`
	SizeBytes            int64          `json:"size_bytes"`
	SHA256               *string        `json:"sha256"`
	DefaultParams        map[string]any `json:"default_params"`
	CreditsPerGeneration *int64         `json:"credits_per_generation"`
	Source               *string        `json:"source"`
	Filename             string         `json:"filename"`
	Installed            bool           `json:"installed"`
}

// LoRARef names a LoRA by id or name. Weight 0 (unset) means the studio's default, 1.0.
type LoRARef struct {
	ID     string  `json:"id,omitempty"`
	Name   string  `json:"name,omitempty"`
	Weight float64 `json:"weight,omitempty"`
}

// LoRAFile names a LoRA by its file name. Weight 0 (unset) means the studio's default, 1.0.
type LoRAFile struct {
	Filename string  `json:"filename"`
	Weight   float64 `json:"weight,omitempty"`
}

// ResolvedLoRA is one link of a resolved chain, in the order asked.
type ResolvedLoRA struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Filename string  `json:"filename"`
	Weight   float64 `json:"weight"`
	SHA256   *string `json:"sha256"`
}

// Balance is GetBalance's answer, in whole credits. Billing is "credits" or "off".
type Balance struct {
	Available int64  `json:"available"`
	Reserved  int64  `json:"reserved"`
	Total     int64  `json:"total"`
	Billing   string `json:"billing"`
}

// Pong is Ping's answer.
type Pong struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// GPUMemory of the GPU runtime.
type GPUMemory struct {
	TotalBytes  *int64 `json:"total_bytes"`
	ModelsBytes int64  `json:"models_bytes"`
}

// GPUStatus is the GPU runtime's state (stopped, starting, ready, stopping).
type GPUStatus struct {
	State          string    `json:"state"`
	Ready          bool      `json:"ready"`
	AcceptingTasks bool      `json:"accepting_tasks"`
	Device         *string   `json:"device"`
	DeviceName     *string   `json:"device_name"`
	DType          *string   `json:"dtype"`
	TorchVersion   *string   `json:"torch_version"`
	Memory         GPUMemory `json:"memory"`
	RunningTasks   int       `json:"running_tasks"`
	StartedAt      *float64  `json:"started_at"`
	UptimeSeconds  float64   `json:"uptime_seconds"`
}

// GPUStopResult is StopGPU's answer: the status after the stop and the mode used.
type GPUStopResult struct {
	GPUStatus
	Mode string `json:"mode"`
}

// GPU stop modes (StopGPU).
const (
	GPUStopGraceful  = "graceful"  // running tasks finish
	GPUStopImmediate = "immediate" // running tasks are canceled
)

// GPUHealth is GetGPUSchedulerHealth's answer.
type GPUHealth struct {
	Status         string  `json:"status"`
	State          string  `json:"state"`
	Device         *string `json:"device"`
	AcceptingTasks bool    `json:"accepting_tasks"`
	RunningTasks   int     `json:"running_tasks"`
	CompletedTasks int     `json:"completed_tasks"`
	RefusedTasks   int     `json:"refused_tasks"`
	LastError      *string `json:"last_error"`
}
