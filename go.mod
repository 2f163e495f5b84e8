module github.com/dagdeck/dagdeck

go 1.26.8
