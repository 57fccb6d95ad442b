package miniaistudio

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// MediaOutput is a media value a node produced: what its output socket holds, plus where it
// came from (NodeID, Output). URL is a path: see Client.AbsoluteURL.
type MediaOutput struct {
	MediaID  string   `json:"media_id"`
	Kind     string   `json:"kind"` // image, video or audio
	MIME     string   `json:"mime"`
	Width    *int     `json:"width"`
	Height   *int     `json:"height"`
	Duration *float64 `json:"duration"`
	URL      string   `json:"url"`
	NodeID   string   `json:"-"`
	Output   string   `json:"-"`
}

// NodeOutputs is one node's state and output values in a run.
type NodeOutputs struct {
	NodeID   string
	NodeType string
	Status   string
	Error    *ErrorInfo
	Values   map[string]json.RawMessage // by output socket, as answered
	Media    []MediaOutput              // every media value, in socket order
}

// ExecutionOutputs is a run read for its results. Nodes are sorted by id.
type ExecutionOutputs struct {
	RunID  string
	Status string
	Error  *ErrorInfo
	Nodes  []NodeOutputs
}

// ParseRun reads a run from GetSessionExecution's or PollSession's answer ({"run": ...}), or
// from a run document itself (ExecuteFull's answer). A session that never ran gives a nil run.
func ParseRun(raw json.RawMessage) (*Run, error) {
	if len(raw) == 0 {
		return nil, errors.New("miniaistudio: no execution to parse")
	}
	var wrapped struct {
		Run json.RawMessage `json:"run"`
	}
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return nil, fmt.Errorf("miniaistudio: reading the execution: %w", err)
	}
	doc := raw
	if wrapped.Run != nil {
		doc = wrapped.Run
	}
	if string(doc) == "null" {
		return nil, nil
	}
	var run Run
	if err := json.Unmarshal(doc, &run); err != nil {
		return nil, fmt.Errorf("miniaistudio: reading the run: %w", err)
	}
	return &run, nil
}

// ParseExecutionOutputs reads the outputs of the run in raw (see ParseRun). A session that
// never ran has no outputs (an empty result, no error).
func ParseExecutionOutputs(raw json.RawMessage) (*ExecutionOutputs, error) {
	run, err := ParseRun(raw)
	if err != nil {
		return nil, err
	}
	out := &ExecutionOutputs{}
	if run == nil {
		return out, nil
	}
	out.RunID, out.Status, out.Error = run.RunID, run.Status, run.Error
	ids := make([]string, 0, len(run.Nodes))
	for id := range run.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		state := run.Nodes[id]
		node := NodeOutputs{NodeID: id, NodeType: state.NodeType, Status: state.Status, Error: state.Error,
			Values: state.Outputs}
		sockets := make([]string, 0, len(state.Outputs))
		for name := range state.Outputs {
			sockets = append(sockets, name)
		}
		sort.Strings(sockets)
		for _, socket := range sockets {
			for _, media := range mediaIn(state.Outputs[socket]) {
				media.NodeID, media.Output = id, socket
				node.Media = append(node.Media, media)
			}
		}
		out.Nodes = append(out.Nodes, node)
	}
	return out, nil
}

// mediaIn finds the media values in one output: a media object, or a list of them.
func mediaIn(value json.RawMessage) []MediaOutput {
	var one MediaOutput
	if json.Unmarshal(value, &one) == nil && one.MediaID != "" {
		return []MediaOutput{one}
	}
	var many []MediaOutput
	if json.Unmarshal(value, &many) != nil {
		return nil
	}
	found := many[:0]
	for _, media := range many {
		if media.MediaID != "" {
			found = append(found, media)
		}
	}
	return found
}

// Media returns every media output of the run, optionally only of one kind ("" for all).
func (o *ExecutionOutputs) Media(kind string) []MediaOutput {
	var found []MediaOutput
	if o == nil {
		return found
	}
	for _, node := range o.Nodes {
		for _, media := range node.Media {
			if kind == "" || media.Kind == kind {
				found = append(found, media)
			}
		}
	}
	return found
}

// FlattenImages returns every image the run produced, node by node.
func (o *ExecutionOutputs) FlattenImages() []MediaOutput { return o.Media("image") }

// FlattenVideos returns every video the run produced, node by node.
func (o *ExecutionOutputs) FlattenVideos() []MediaOutput { return o.Media("video") }

// FlattenAudios returns every audio file the run produced, node by node.
func (o *ExecutionOutputs) FlattenAudios() []MediaOutput { return o.Media("audio") }

// Node returns one node's outputs, or nil.
func (o *ExecutionOutputs) Node(nodeID string) *NodeOutputs {
	if o == nil {
		return nil
	}
	for i := range o.Nodes {
		if o.Nodes[i].NodeID == nodeID {
			return &o.Nodes[i]
		}
	}
	return nil
}
