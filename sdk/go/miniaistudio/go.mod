module miniaistudio-go-sdk

go 1.22
