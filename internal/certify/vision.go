package certify

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// redSquarePNG draws the vision check's image: a 16×16 square of pure red. It is generated
// rather than embedded so that the image is plainly what the check says it is.
func redSquarePNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	red := color.RGBA{R: 255, A: 255}
	for y := range 16 {
		for x := range 16 {
			img.Set(x, y, red)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		// Encoding a valid in-memory image into a buffer cannot fail.
		panic("certify: encode vision image: " + err.Error())
	}
	return buf.Bytes()
}
