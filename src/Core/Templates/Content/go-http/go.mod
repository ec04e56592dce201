module example.com/{{projectName}}

go 1.19
