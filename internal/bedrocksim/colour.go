package bedrocksim

import (
	"bytes"
	"fmt"
	"image"
	// Decoders for the image formats Converse accepts.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
)

// namedColours are the answers a colour question can get; the mean colour of an
// image is matched to the nearest one.
var namedColours = []struct {
	name    string
	r, g, b float64
}{
	{"red", 255, 0, 0},
	{"green", 0, 255, 0},
	{"blue", 0, 0, 255},
	{"yellow", 255, 255, 0},
	{"orange", 255, 165, 0},
	{"purple", 128, 0, 128},
	{"pink", 255, 192, 203},
	{"brown", 139, 69, 19},
	{"cyan", 0, 255, 255},
	{"magenta", 255, 0, 255},
	{"black", 0, 0, 0},
	{"white", 255, 255, 255},
	{"grey", 128, 128, 128},
}

// maxColourSamples bounds the work per image: large images are sampled on a grid.
const maxColourSamples = 256 * 256

// dominantColour names the colour nearest to the image's mean colour.
func dominantColour(data []byte) (string, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("decode image: %w", err)
	}
	bounds := img.Bounds()
	if bounds.Empty() {
		return "", fmt.Errorf("decode image: empty image")
	}
	step := 1
	for (bounds.Dx()/step)*(bounds.Dy()/step) > maxColourSamples {
		step++
	}
	var sumR, sumG, sumB, n float64
	for y := bounds.Min.Y; y < bounds.Max.Y; y += step {
		for x := bounds.Min.X; x < bounds.Max.X; x += step {
			r, g, b, _ := img.At(x, y).RGBA()
			sumR += float64(r >> 8)
			sumG += float64(g >> 8)
			sumB += float64(b >> 8)
			n++
		}
	}
	meanR, meanG, meanB := sumR/n, sumG/n, sumB/n
	best, bestDistance := "", -1.0
	for _, c := range namedColours {
		d := (c.r-meanR)*(c.r-meanR) + (c.g-meanG)*(c.g-meanG) + (c.b-meanB)*(c.b-meanB)
		if bestDistance < 0 || d < bestDistance {
			best, bestDistance = c.name, d
		}
	}
	return best, nil
}

// otherColour is a colour that is not the one given: the next in namedColours.
func otherColour(name string) string {
	for i, c := range namedColours {
		if c.name == name {
			return namedColours[(i+1)%len(namedColours)].name
		}
	}
	return namedColours[0].name
}
