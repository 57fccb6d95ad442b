// The reference document's first Go SDK example, "Create a session from a recipe", as a
// program: the lines between the markers are the document's, unchanged.
//
//	MINIAI_URL=http://127.0.0.1:8790 MINIAI_API_KEY=mas_... go run ./examples/create-session-from-recipe
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"miniaistudio-go-sdk"
)

func main() {
	// --- from the reference document, unchanged ---
	ctx := context.Background()
	c := &miniaistudio.Client{APIKey: os.Getenv("MINIAI_API_KEY")}

	created, err := c.CreateSessionFromRecipe(ctx, "prompt_to_avatar", map[string]any{
		"prompt": "a cinematic avatar portrait",
	}, "Avatar workflow")
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(created.SessionID)
	// --- end ---
}
