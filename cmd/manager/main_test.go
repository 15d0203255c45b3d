package main

import (
	"os"
	"testing"

	"github.com/modelcert/modelcert-operator/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
