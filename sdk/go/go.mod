// The module of the example programs: the reference document's go.mod, as written.
module miniaistudio-examples

go 1.22

require miniaistudio-go-sdk v0.0.0

replace miniaistudio-go-sdk => ./miniaistudio
