// The reference document's second Go SDK example, "Run, poll, and read outputs", as a program:
// the lines between the markers are the document's, unchanged. The document leaves ctx, c and
// done to the reader; they are set up first, and the images are printed last.
//
//	MINIAI_URL=http://127.0.0.1:8790 MINIAI_API_KEY=mas_... go run ./examples/run-poll-outputs
//
// prompt_to_avatar needs an installed text-to-image model (miniaistudio models import ...).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"miniaistudio-go-sdk"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := &miniaistudio.Client{APIKey: os.Getenv("MINIAI_API_KEY")}
	done := miniaistudio.RunFinished // until the run has succeeded, failed or been stopped

	// --- from the reference document, unchanged ---
	run, err := c.RunRecipe(ctx, "prompt_to_avatar", miniaistudio.RunRecipeRequest{
		Inputs:  map[string]any{"prompt": "a portrait"},
		Execute: true,
	})
	if err != nil {
		log.Fatal(err)
	}

	raw, err := c.PollSession(ctx, run.SessionID, 2*time.Second, done)
	outputs, err := miniaistudio.ParseExecutionOutputs(raw)
	images := outputs.FlattenImages()
	// --- end ---

	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("session %s: run %s %s, %d image(s)\n", run.SessionID, outputs.RunID, outputs.Status, len(images))
	for _, image := range images {
		fmt.Printf("%s %s %s %s\n", image.NodeID, image.MediaID, image.MIME, c.AbsoluteURL(image.URL))
	}
	if outputs.Status != miniaistudio.RunSucceeded {
		log.Fatalf("the run ended %s: %+v", outputs.Status, outputs.Error)
	}
}
