#include "trainer/data/synthetic_face_painter.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/image/label_palette.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "trainer/data/face_canvas.h"
#include "trainer/data/sample_rng.h"

namespace facet {
namespace {

constexpr double kPi = 3.14159265358979323846;

cv::Scalar Mix(const cv::Scalar& a, const cv::Scalar& b, double t) {
  return a * (1.0 - t) + b * t;
}

cv::Scalar Scale(const cv::Scalar& c, double f) {
  return cv::Scalar(std::min(255.0, c[0] * f), std::min(255.0, c[1] * f),
                    std::min(255.0, c[2] * f));
}

cv::Scalar RandomColor(SampleRng& rng, double lo = 0, double hi = 255) {
  // Separate statements: the order of function arguments is unspecified.
  const double r = rng.Uniform(lo, hi);
  const double g = rng.Uniform(lo, hi);
  const double b = rng.Uniform(lo, hi);
  return cv::Scalar(r, g, b);
}

cv::Scalar Jitter(SampleRng& rng, const cv::Scalar& c, double amount) {
  const double shared = rng.Uniform(-amount, amount);
  cv::Scalar out;
  for (int i = 0; i < 3; ++i) {
    out[i] = std::clamp(c[i] + shared + rng.Uniform(-amount, amount) * 0.4, 0.0,
                        255.0);
  }
  return out;
}

cv::Scalar PickSkin(SampleRng& rng) {
  static const cv::Scalar kTones[] = {
      {250, 220, 200}, {236, 196, 170}, {224, 172, 140}, {198, 144, 110},
      {160, 110, 80},  {120, 80, 58},   {90, 60, 45},    {232, 190, 150}};
  return Jitter(rng, kTones[rng.UniformInt(0, 7)], 12);
}

cv::Scalar PickHair(SampleRng& rng) {
  static const cv::Scalar kTones[] = {
      {20, 16, 14},    {45, 32, 24},  {80, 55, 35},    {120, 85, 50},
      {200, 165, 110}, {150, 70, 35}, {170, 170, 165}, {230, 225, 210}};
  if (rng.Bernoulli(0.05)) return RandomColor(rng, 30, 230);  // Dyed.
  return Jitter(rng, kTones[rng.UniformInt(0, 7)], 10);
}

// Face layout in the canonical 512 frame.
struct Layout {
  double cx = 256, cy = 250, a = 0, b = 0, jaw = 0;
  double yaw = 0;  // Sideways shift of the inner features.
  double eye_y = 0, eye_dx = 0, eye_w = 0, eye_up = 0, eye_lo = 0;
  double brow_gap = 0, brow_thick = 0, brow_arch = 0;
  double nose_top = 0, nose_base = 0, nose_w = 0;
  double mouth_y = 0, mouth_w = 0, lip_up = 0, lip_lo = 0, smile = 0, open = 0;
  double ear_w = 0, ear_h = 0, ear_y = 0;
  double hairline = 0, temple_y = 0;
  double neck_w = 0, shoulder_y = 0;
};

// The layout follows the face a real photo gives once aligned to the spec's
// five-point template (section 10: eye centres near (194, 245) and
// (318, 245), nose base near (257, 339) in the 512 frame) with textbook
// proportions around it (in inter-ocular distances, iod: face width ~2.1,
// eye width ~0.4, nose width ~0.5, mouth width ~0.85, eyes to mouth ~1.15,
// brow to nose base = nose base to chin). No real photo is measured.
Layout DrawLayout(SampleRng& rng) {
  Layout layout;
  layout.eye_dx = rng.Uniform(55, 68);
  const double iod = 2 * layout.eye_dx;
  layout.a = iod * rng.Uniform(0.95, 1.12);
  layout.eye_y = rng.Uniform(236, 254);
  layout.nose_base = layout.eye_y + iod * rng.Uniform(0.68, 0.84);
  const double chin = layout.nose_base + iod * rng.Uniform(0.85, 1.05);
  layout.b = rng.Uniform(layout.a * 1.28, layout.a * 1.42);
  layout.cy = chin - layout.b;
  layout.jaw = rng.Uniform(0.1, 0.35);
  layout.yaw = rng.Uniform(-0.1, 0.1) * layout.a;
  layout.eye_w = iod * rng.Uniform(0.36, 0.46);
  layout.eye_up = layout.eye_w * rng.Uniform(0.2, 0.32);
  layout.eye_lo = layout.eye_w * rng.Uniform(0.13, 0.22);
  layout.brow_gap = layout.eye_w * rng.Uniform(0.2, 0.5);
  layout.brow_thick = rng.Uniform(11, 24);
  layout.brow_arch = rng.Uniform(0.05, 0.2);
  layout.nose_top = layout.eye_y + layout.eye_lo * 0.3;
  layout.nose_w = iod * rng.Uniform(0.42, 0.58);
  layout.mouth_y =
      layout.nose_base + (chin - layout.nose_base) * rng.Uniform(0.3, 0.42);
  layout.mouth_w = iod * rng.Uniform(0.7, 0.95);
  layout.lip_up = layout.mouth_w * rng.Uniform(0.1, 0.17);
  layout.lip_lo = layout.mouth_w * rng.Uniform(0.13, 0.22);
  layout.smile = rng.Uniform(-3, 8);
  // Lips in photos are often slightly parted: openings skew small.
  if (rng.Bernoulli(0.5)) {
    const double u = rng.Uniform(0, 1);
    layout.open = 3 + 21 * u * u;
  }
  layout.ear_w = layout.a * rng.Uniform(0.14, 0.19);
  layout.ear_h = layout.b * rng.Uniform(0.19, 0.25);
  layout.ear_y = (layout.eye_y + layout.nose_base) / 2 + rng.Uniform(-6, 6);
  layout.hairline = layout.cy - layout.b * rng.Uniform(0.6, 0.85);
  layout.temple_y = layout.eye_y - layout.b * rng.Uniform(0.12, 0.25);
  layout.neck_w = layout.a * rng.Uniform(0.95, 1.25);
  layout.shoulder_y = chin + rng.Uniform(15, 45);
  return layout;
}

Poly FaceOutline(const Layout& layout) {
  Poly p;
  for (int i = 0; i < 64; ++i) {
    const double t = 2 * kPi * i / 64;
    const double s = std::sin(t);
    const double narrow = s > 0 ? 1.0 - layout.jaw * s * s : 1.0;
    p.emplace_back(layout.cx + layout.a * std::cos(t) * narrow,
                   layout.cy + layout.b * s);
  }
  return p;
}

// A uniform point in [x0, x1) x [y0, y1), x drawn first.
cv::Point2d UniformPoint(SampleRng& rng, double x0, double x1, double y0,
                         double y1) {
  const double x = rng.Uniform(x0, x1);
  return {x, rng.Uniform(y0, y1)};
}

// Fills the whole image with a smooth multi-colour field and a few shapes.
void PaintBackground(SampleRng& rng, FaceCanvas* canvas) {
  cv::Mat small(3, 3, CV_8UC3);
  const cv::Scalar base = RandomColor(rng, 20, 235);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 3; ++x) {
      const cv::Scalar c = Jitter(rng, base, 60);
      small.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uchar>(c[0]),
                                            cv::saturate_cast<uchar>(c[1]),
                                            cv::saturate_cast<uchar>(c[2]));
    }
  }
  cv::resize(small, canvas->image(), canvas->image().size(), 0, 0,
             cv::INTER_LINEAR);
  const int shapes =
      rng.Bernoulli(0.5) ? static_cast<int>(rng.UniformInt(1, 6)) : 0;
  for (int i = 0; i < shapes; ++i) {
    const cv::Point2d c =
        UniformPoint(rng, 0, kCanonicalSide, 0, kCanonicalSide);
    const cv::Scalar color = Jitter(rng, base, 80);
    if (rng.Bernoulli(0.5)) {
      const double ax = rng.Uniform(10, 90);
      const double ay = rng.Uniform(10, 90);
      canvas->Fill(&canvas->image(), Ellipse(c, ax, ay), color);
    } else {
      const cv::Point2d end =
          UniformPoint(rng, 0, kCanonicalSide, 0, kCanonicalSide);
      canvas->Stroke(&canvas->image(), {c, end}, rng.Uniform(3, 30), color);
    }
  }
}

// Texture of hair: the base colour with strands flowing from the crown, or
// small rings for curly hair.
cv::Mat HairLayer(SampleRng& rng, const FaceCanvas& canvas,
                  const Layout& layout, const cv::Scalar& hair, bool curly) {
  cv::Mat layer = canvas.Layer(hair);
  const cv::Point2d crown(layout.cx, layout.cy - layout.b * 1.05);
  for (int i = 0; i < 110; ++i) {
    const cv::Point2d p = UniformPoint(
        rng, layout.cx - 1.6 * layout.a, layout.cx + 1.6 * layout.a,
        layout.cy - 1.25 * layout.b, layout.cy + 1.8 * layout.b);
    const cv::Scalar c = Scale(hair, rng.Uniform(0.7, 1.35));
    if (curly) {
      const double rx = rng.Uniform(4, 9);
      const double ry = rng.Uniform(4, 9);
      canvas.Stroke(&layer, Ellipse(p, rx, ry, 12), 1.5, c, true);
      continue;
    }
    cv::Point2d d = p - crown;
    d *= 1.0 / std::max(1.0, std::hypot(d.x, d.y));
    const double length = rng.Uniform(20, 60);
    canvas.Stroke(&layer, {p, p + d * length}, rng.Uniform(1, 2.5), c);
  }
  return layer;
}

// One face being drawn: its random stream, canvas, layout, colours and
// which optional parts it has, plus the masks that later parts are cut by.
// The Paint* steps run in label-id order (see the header).
struct FaceDrawing {
  FaceDrawing(uint64_t seed, uint64_t index, int size);

  void PaintSkin();
  void PaintNose();
  void PaintGlasses();
  void PaintEyes();
  void PaintBrows();
  void PaintEars();
  void PaintMouth();
  void PaintHair();
  void PaintHat();
  void PaintEarrings();
  void PaintNecklace();
  void PaintNeck();
  void PaintCloth();
  // Image only (labels stay): shadows of eye sockets, nose and lip, and
  // moustaches and beards on the skin (CelebAMask-HQ labels them skin).
  void ShadeAndGroom();
  void Finish();  // Anti-aliasing, lighting and grain.
  // `color`, or a window-sized `layer`, moved towards the skin colour by
  // 1 - feature_contrast.
  cv::Scalar Faded(const cv::Scalar& color) const {
    return Mix(skin, color, feature_contrast);
  }
  void Fade(cv::Mat* layer) const {
    cv::addWeighted(*layer, feature_contrast, canvas.Layer(skin),
                    1 - feature_contrast, 0, *layer);
  }
  // Multiplies the image by 1 - amount inside `poly` (along it, as a line
  // `stroke` units thick, when stroke > 0), softened by a blur of `soften`
  // canonical units; labels are untouched. A negative amount lightens.
  void Darken(const Poly& poly, double amount, double soften,
              double stroke = 0);
  // Image only: the relief of real skin (see ShadeAndGroom).
  void ShadeSkinRelief();

  SampleRng rng;
  FaceCanvas canvas;
  Layout layout;
  cv::Scalar skin, hair;
  // How far the inner features (eyes, brows, lips) stand out from the skin:
  // 1 as painted, lower towards the skin colour, as in faded or soft photos.
  double feature_contrast = 1;
  double fx = 0;         // Centre line of the inner features.
  double neck_half = 0;  // Half the neck's width.
  bool bald = false, long_hair = false, bob = false, curly = false;
  bool bangs = false, ears_hidden = false, hat = false, glasses = false;
  bool earrings = false, necklace = false;
  cv::Mat face;    // Canvas-sized skin mask.
  cv::Mat ears;    // Canvas-sized mask of the visible ears.
  cv::Mat jewels;  // Canvas-sized mask of earrings and necklace.
};

// The pose: rotation, scale and offset, drawn in this order.
FaceCanvas PosedCanvas(SampleRng& rng, int size) {
  // Real faces arrive aligned to the template (client/photo), with residual
  // error: small rotation, scale and offset.
  const double angle = rng.Uniform(-10, 10);
  const double scale = rng.Uniform(0.9, 1.1);
  const double dx = rng.Uniform(-14, 14);
  const double dy = rng.Uniform(-14, 14);
  return FaceCanvas(size, angle, scale, {dx, dy});
}

FaceDrawing::FaceDrawing(uint64_t seed, uint64_t index, int size)
    : rng(seed, RngStream::kSyntheticFace, index),
      canvas(PosedCanvas(rng, size)) {
  layout = DrawLayout(rng);
  skin = PickSkin(rng);
  hair = PickHair(rng);
  fx = layout.cx + layout.yaw;
  neck_half = layout.neck_w / 2;
  // Hair styles: 0..4 short, 5..7 long, 8..10 bob, 11..13 curly, 14..15
  // bald.
  const int hair_style = static_cast<int>(rng.UniformInt(0, 15));
  bald = hair_style >= 14;
  long_hair = hair_style >= 5 && hair_style <= 7;
  bob = hair_style >= 8 && hair_style <= 10;
  curly = hair_style >= 11 && hair_style <= 13;
  bangs = !bald && rng.Bernoulli(0.3);
  ears_hidden = (long_hair || bob || curly) && rng.Bernoulli(0.45);
  hat = rng.Bernoulli(0.15);
  glasses = rng.Bernoulli(0.2);
  earrings = !ears_hidden && rng.Bernoulli(0.25);
  necklace = rng.Bernoulli(0.2);
  jewels = cv::Mat::zeros(size, size, CV_8UC1);
  feature_contrast = rng.Bernoulli(0.5) ? 1.0 : rng.Uniform(0.35, 1.0);
}

// 1 skin.
void FaceDrawing::PaintSkin() {
  face = canvas.Mask(FaceOutline(layout));
  if (bald) {  // The scalp is skin too (as CelebAMask-HQ labels it).
    Poly scalp = Arc({layout.cx, layout.cy}, layout.a * 1.01,
                     layout.b * rng.Uniform(1.04, 1.1), kPi, 2 * kPi, 32);
    canvas.Fill(&face, scalp, 255);
  }
  canvas.Paint(kSkin, face, skin);
}

// 2 nose: a bridge widening to the nostrils, shaded on one side.
void FaceDrawing::PaintNose() {
  const double nx = layout.cx + layout.yaw * 1.3;
  const double bridge = layout.a * rng.Uniform(0.09, 0.15);
  const double half = layout.nose_w / 2;
  const double nostril_h = layout.nose_w * 0.28;
  Poly nose = {{nx - bridge / 2, layout.nose_top},
               {nx - half * 0.7, layout.nose_base - nostril_h * 1.6}};
  Append(&nose, Arc({nx, layout.nose_base - nostril_h * 0.7}, half, nostril_h,
                    kPi, 0, 16));
  nose.emplace_back(nx + half * 0.7, layout.nose_base - nostril_h * 1.6);
  nose.emplace_back(nx + bridge / 2, layout.nose_top);
  canvas.Focus({nose});
  cv::Mat layer = canvas.Layer();
  const cv::Scalar base = Scale(skin, rng.Uniform(0.93, 1.02));
  canvas.Fill(&layer, nose, base);
  const double side = rng.Bernoulli(0.5) ? 1.0 : -1.0;
  canvas.Fill(&layer,
              {{nx + side * bridge / 2, layout.nose_top},
               {nx + side * half * 0.9, layout.nose_base - nostril_h},
               {nx + side * half * 0.45, layout.nose_base - nostril_h}},
              Scale(skin, 0.82));
  for (double s : {-1.0, 1.0}) {
    canvas.Fill(
        &layer,
        Ellipse({nx + s * half * 0.42, layout.nose_base - nostril_h * 0.45},
                half * 0.2, nostril_h * 0.35, 12),
        Scale(skin, 0.45));
  }
  canvas.PaintLayer(kNose, canvas.Mask(nose), layer);
}

// 3 eyeglasses: tinted lenses, frame, bridge and arms towards the ears.
void FaceDrawing::PaintGlasses() {
  if (!glasses) return;
  const double lens_w = layout.eye_w * rng.Uniform(0.72, 0.9);
  const double lens_h =
      std::max(layout.eye_up + layout.eye_lo, 14.0) * rng.Uniform(1.1, 1.6);
  const double frame = rng.Uniform(2, 5);
  const cv::Scalar frame_color = RandomColor(rng, 0, 200);
  const cv::Scalar tint = RandomColor(rng, 40, 220);
  const double alpha = rng.Uniform(0.05, 0.4);
  Poly lens[2];
  for (int i = 0; i < 2; ++i) {
    const double ex = fx + (i == 0 ? -layout.eye_dx : layout.eye_dx);
    lens[i] = Ellipse({ex, layout.eye_y}, lens_w, lens_h, 24);
  }
  const double inner = layout.eye_dx - lens_w;
  Poly bridge_line = {{fx - inner, layout.eye_y - lens_h * 0.3},
                      {fx, layout.eye_y - lens_h * 0.45},
                      {fx + inner, layout.eye_y - lens_h * 0.3}};
  Poly arms[2] = {{{fx - layout.eye_dx - lens_w, layout.eye_y - lens_h * 0.3},
                   {layout.cx - layout.a * 1.02, layout.eye_y - lens_h * 0.2}},
                  {{fx + layout.eye_dx + lens_w, layout.eye_y - lens_h * 0.3},
                   {layout.cx + layout.a * 1.02, layout.eye_y - lens_h * 0.2}}};
  canvas.Focus({lens[0], lens[1], arms[0], arms[1]}, frame);
  cv::Mat lenses = canvas.NewMask();
  for (const Poly& p : lens) canvas.Fill(&lenses, p, 255);
  cv::Mat layer = canvas.Layer();
  cv::Mat tinted;
  cv::addWeighted(layer, 1 - alpha, canvas.Layer(tint), alpha, 0, tinted);
  tinted.copyTo(layer, lenses);
  cv::Mat mask = lenses;
  for (cv::Mat* target : {&layer, &mask}) {
    const cv::Scalar value = target == &layer ? frame_color : cv::Scalar(255);
    for (const Poly& p : lens) canvas.Stroke(target, p, frame, value, true);
    canvas.Stroke(target, bridge_line, frame, value);
    for (const Poly& p : arms) canvas.Stroke(target, p, frame, value);
  }
  canvas.PaintLayer(kEyeGlasses, mask, layer);
}

// 4, 5 eyes: sclera, iris, pupil and an upper lid line in an almond.
void FaceDrawing::PaintEyes() {
  const cv::Scalar iris_color =
      Jitter(rng,
             std::vector<cv::Scalar>{{70, 45, 25},
                                     {40, 25, 15},
                                     {80, 120, 160},
                                     {90, 120, 70}}[rng.UniformInt(0, 3)],
             15);
  const double gaze = rng.Uniform(-0.2, 0.2) * layout.eye_w;
  const double lash = rng.Uniform(3, 8);
  const cv::Scalar lash_color =
      Scale(Mix(hair, {20, 15, 12}, 0.6), rng.Uniform(0.4, 0.9));
  const double tilt = rng.Uniform(-0.12, 0.12);
  for (int i = 0; i < 2; ++i) {
    const double ex = fx + (i == 0 ? -layout.eye_dx : layout.eye_dx);
    const double half = layout.eye_w / 2;
    const double side = i == 0 ? -1.0 : 1.0;  // Outer corner direction.
    Poly upper, lower;
    for (int k = 0; k <= 16; ++k) {
      const double u = -1.0 + 2.0 * k / 16;
      const double lift = tilt * side * u * half;
      upper.emplace_back(
          ex + u * half,
          layout.eye_y - lift - layout.eye_up * std::pow(1 - u * u, 0.8));
      lower.emplace_back(ex + u * half,
                         layout.eye_y - lift + layout.eye_lo * (1 - u * u));
    }
    Poly almond = upper;
    Append(&almond, Poly(lower.rbegin(), lower.rend()));
    canvas.Focus({almond}, 3);
    cv::Mat mask = canvas.Mask(almond);
    cv::Mat layer = canvas.Layer();
    // In photos the sclera is rarely white: lids and lashes shade it.
    const cv::Scalar white = Jitter(rng, {225, 220, 215}, 10);
    canvas.Fill(&layer, almond,
                Mix(white, Scale(skin, 0.55), rng.Uniform(0.2, 0.9)));
    const double r = (layout.eye_up + layout.eye_lo) * rng.Uniform(0.55, 0.75);
    const cv::Point2d iris(
        ex + gaze, layout.eye_y - (layout.eye_up - layout.eye_lo) * 0.3);
    canvas.Fill(&layer, Ellipse(iris, r, r, 20), iris_color);
    canvas.Fill(&layer, Ellipse(iris, r * 0.45, r * 0.45, 12), {10, 8, 8});
    canvas.Stroke(&layer, upper, lash, lash_color);
    canvas.Stroke(&layer, lower, lash * 0.4, lash_color);
    Fade(&layer);
    canvas.PaintLayer(i == 0 ? kLeftEye : kRightEye, mask, layer);
  }
}

// 6, 7 brows: arched strokes tapering towards the outer end.
void FaceDrawing::PaintBrows() {
  const cv::Scalar brow =
      bald ? Jitter(rng, {50, 35, 25}, 15) : Scale(hair, rng.Uniform(0.6, 0.9));
  for (int i = 0; i < 2; ++i) {
    const double ex = fx + (i == 0 ? -layout.eye_dx : layout.eye_dx);
    const double len = layout.eye_w * rng.Uniform(1.05, 1.35);
    const double base_y = layout.eye_y - layout.eye_up - layout.brow_gap;
    const double outer = i == 0 ? -1.0 : 1.0;
    Poly top, bottom;
    for (int k = 0; k <= 12; ++k) {
      const double u = -1.0 + 2.0 * k / 12;  // -1 inner ... 1 outer.
      const double x = ex + outer * u * len / 2 + outer * len * 0.05;
      const double arch = layout.brow_arch * len * (1 - u * u);
      const double thick = layout.brow_thick * (1.0 - 0.45 * (u + 1) / 2);
      top.emplace_back(x, base_y - arch - thick / 2 + u * 2);
      bottom.emplace_back(x, base_y - arch + thick / 2 + u * 2);
    }
    Poly shape = top;
    Append(&shape, Poly(bottom.rbegin(), bottom.rend()));
    canvas.Focus({shape}, 4);
    // Hairs along the brow, lighter and darker than its colour.
    cv::Mat layer = canvas.Layer(Faded(brow));
    for (int k = 0; k < 40; ++k) {
      const double u = rng.Uniform(-1.0, 1.0);
      const double x = ex + outer * u * len / 2 + outer * len * 0.05;
      const double y = base_y - layout.brow_arch * len * (1 - u * u) + u * 2 +
                       rng.Uniform(-0.5, 0.5) * layout.brow_thick;
      const double dx = outer * rng.Uniform(4, 9);
      canvas.Stroke(&layer, {{x, y}, {x + dx, y - rng.Uniform(0, 3)}},
                    rng.Uniform(1, 2),
                    Faded(Scale(brow, rng.Uniform(0.6, 1.4))));
    }
    canvas.PaintLayer(i == 0 ? kLeftBrow : kRightBrow, canvas.Mask(shape),
                      layer);
  }
}

// 8, 9 ears, with a darker inner fold.
void FaceDrawing::PaintEars() {
  canvas.Unfocus();
  ears = canvas.NewMask();
  Poly ear_shape[2];
  for (int i = 0; i < 2; ++i) {
    const double side = i == 0 ? -1.0 : 1.0;
    const cv::Point2d c(
        layout.cx + side * (layout.a * 0.97 + layout.ear_w * 0.3 -
                            layout.yaw * side * 0.5),
        layout.ear_y);
    ear_shape[i] = Ellipse(c, layout.ear_w, layout.ear_h, 24);
    if (ears_hidden) continue;
    canvas.Focus({ear_shape[i]});
    cv::Mat mask = canvas.Mask(ear_shape[i]);
    cv::Mat layer = canvas.Layer();
    canvas.Fill(&layer, ear_shape[i], Scale(skin, 0.94));
    canvas.Fill(&layer,
                Ellipse({c.x + side * layout.ear_w * 0.15, c.y},
                        layout.ear_w * 0.5, layout.ear_h * 0.6, 16),
                Scale(skin, 0.75));
    canvas.PaintLayer(i == 0 ? kLeftEar : kRightEar, mask, layer);
    cv::Mat ears_here = canvas.View(ears);
    ears_here |= mask;
  }
}

// 10 mouth (inner, when open), 11 upper lip, 12 lower lip.
void FaceDrawing::PaintMouth() {
  const double half = layout.mouth_w / 2;
  const double mx = layout.cx + layout.yaw * 1.1;
  Poly ulip_top, ulip_bottom, llip_top, llip_bottom;
  for (int k = 0; k <= 20; ++k) {
    const double u = -1.0 + 2.0 * k / 20;
    const double x = mx + u * half;
    const double line = layout.mouth_y - layout.smile * u * u;
    const double gap = layout.open / 2 * (1 - u * u);
    const double cupid = 1.0 - 0.3 * std::exp(-(u / 0.15) * (u / 0.15));
    ulip_top.emplace_back(
        x, line - gap - layout.lip_up * std::pow(1 - u * u, 0.7) * cupid);
    ulip_bottom.emplace_back(x, line - gap);
    llip_top.emplace_back(x, line + gap);
    llip_bottom.emplace_back(
        x, line + gap + layout.lip_lo * std::pow(1 - u * u, 0.6));
  }
  canvas.Focus({ulip_top, llip_bottom});
  const cv::Scalar lip = Faded(
      rng.Bernoulli(0.2) ? Jitter(rng, {180, 30, 60}, 40)
                         : Mix(skin, {200, 90, 100}, rng.Uniform(0.15, 0.55)));
  if (layout.open > 0) {
    Poly inner = ulip_bottom;
    Append(&inner, Poly(llip_top.rbegin(), llip_top.rend()));
    cv::Mat layer = canvas.Layer();
    canvas.Fill(&layer, inner, Jitter(rng, {70, 20, 25}, 15));
    if (rng.Bernoulli(0.6)) {
      canvas.Fill(&layer,
                  {{mx - half * 0.6, layout.mouth_y - layout.open * 0.5},
                   {mx + half * 0.6, layout.mouth_y - layout.open * 0.5},
                   {mx + half * 0.5, layout.mouth_y - layout.open * 0.1},
                   {mx - half * 0.5, layout.mouth_y - layout.open * 0.1}},
                  Jitter(rng, {235, 230, 215}, 10));
    }
    cv::Mat mask = canvas.Mask(inner);
    canvas.PaintLayer(kMouth, mask, layer);
  }
  Poly upper = ulip_top;
  Append(&upper, Poly(ulip_bottom.rbegin(), ulip_bottom.rend()));
  Poly lower = llip_top;
  Append(&lower, Poly(llip_bottom.rbegin(), llip_bottom.rend()));
  canvas.Paint(kUpperLip, canvas.Mask(upper), Scale(lip, 0.9));
  canvas.Paint(kLowerLip, canvas.Mask(lower), lip);
}

// 13 hair: a cap above the hairline, hair behind the head for the longer
// styles (cut out where face and visible ears are in front), and bangs.
void FaceDrawing::PaintHair() {
  if (bald) return;
  canvas.Unfocus();
  const double vol = curly ? rng.Uniform(25, 50) : rng.Uniform(4, 16);
  const cv::Point2d centre(layout.cx, layout.cy - (curly ? layout.b * 0.1 : 0));
  const double ax = layout.a * 1.05 + vol, ay = layout.b * 1.04 + vol;
  // The cap: the top of a wider ellipse closed by the hairline curve.
  const double dt =
      std::asin(std::clamp((layout.temple_y - centre.y) / ay, -1.0, 0.3));
  Poly cap = Arc(centre, ax, ay, kPi - dt, 2 * kPi + dt, 40);
  const double part = rng.Uniform(-0.3, 0.3) * layout.a;
  const double power = rng.Uniform(1.5, 3.0);
  for (int k = 0; k <= 20; ++k) {
    const double u = 1.0 - 2.0 * k / 20;  // Right temple to left.
    const double x = layout.cx + u * layout.a * 1.02;
    const double t =
        std::min(1.0, std::abs(x - layout.cx - part) / (layout.a * 1.02));
    cap.emplace_back(x, layout.hairline + (layout.temple_y - layout.hairline) *
                                              std::pow(t, power));
  }
  cv::Mat mask = canvas.Mask(cap);
  if (long_hair || bob || curly) {
    const double bottom = long_hair
                              ? layout.cy + layout.b * rng.Uniform(1.2, 1.9)
                          : bob ? layout.cy + layout.b * rng.Uniform(0.5, 0.85)
                                : layout.cy + layout.b * rng.Uniform(0.5, 1.0);
    const double width = ax * (curly ? 1.1 : rng.Uniform(1.0, 1.25));
    Poly back = Arc(centre, ax, ay, kPi, 2 * kPi, 24);
    back.emplace_back(layout.cx + width, bottom);
    for (int k = 0; k <= 10; ++k) {
      back.emplace_back(layout.cx + width - 2 * width * k / 10,
                        bottom + (k % 2) * rng.Uniform(0, 14));
    }
    cv::Mat behind = canvas.Mask(back);
    behind.setTo(0, face);
    behind.setTo(0, ears);
    mask |= behind;
  }
  if (bangs) {
    const double brow_top = layout.eye_y - layout.eye_up - layout.brow_gap -
                            layout.brow_thick -
                            layout.brow_arch * layout.eye_w * 1.4;
    const double low =
        std::min(brow_top - 6, layout.hairline + rng.Uniform(15, 60));
    Poly fringe = Arc(centre, ax, ay, kPi * 1.15, kPi * 1.85, 16);
    for (int k = 0; k <= 12; ++k) {
      const double u = 1.0 - 2.0 * k / 12;
      fringe.emplace_back(layout.cx + u * layout.a * 0.85,
                          low - (k % 2) * rng.Uniform(0, 10) - 12 * u * u);
    }
    canvas.Fill(&mask, fringe, 255);
  }
  canvas.PaintLayer(kHair, mask, HairLayer(rng, canvas, layout, hair, curly));
}

// 14 hat: a dome with a band, or a cap with a brim; above the brows.
void FaceDrawing::PaintHat() {
  if (!hat) return;
  const double brow_top = layout.eye_y - layout.eye_up - layout.brow_gap -
                          layout.brow_thick -
                          layout.brow_arch * layout.eye_w * 1.4;
  const double rim =
      std::min(brow_top - 14, layout.hairline + rng.Uniform(-25, 25));
  const cv::Scalar color = RandomColor(rng, 20, 235);
  const double half = layout.a * rng.Uniform(1.1, 1.3);
  Poly dome = Arc({layout.cx, rim}, half, layout.b * rng.Uniform(0.6, 0.85),
                  kPi, 2 * kPi, 24);
  Poly band = {{layout.cx - half, rim - 16},
               {layout.cx + half, rim - 16},
               {layout.cx + half, rim + 4},
               {layout.cx - half, rim + 4}};
  const double dir = rng.Bernoulli(0.5) ? 1.0 : -1.0;
  Poly brim = Ellipse({layout.cx + dir * half * 0.4, rim}, half * 1.05, 8, 20);
  const bool beanie = rng.Bernoulli(0.5);
  const Poly& trim = beanie ? band : brim;
  canvas.Focus({dome, trim});
  cv::Mat mask = canvas.Mask(dome);
  cv::Mat layer = canvas.Layer(color);
  canvas.Fill(&layer, trim, Scale(color, beanie ? 0.75 : 0.8));
  canvas.Fill(&mask, trim, 255);
  canvas.PaintLayer(kHat, mask, layer);
}

// 15 earrings: studs, drops or hoops under the lobes.
void FaceDrawing::PaintEarrings() {
  if (!earrings) return;

  const cv::Scalar metal = rng.Bernoulli(0.5)
                               ? Jitter(rng, {220, 180, 60}, 20)
                               : Jitter(rng, {200, 200, 205}, 20);
  const int kind = static_cast<int>(rng.UniformInt(0, 2));
  const double r = rng.Uniform(3.5, 8);
  const double lobe_y = layout.ear_y + layout.ear_h * 0.85;
  const double lobe_dx = layout.a * 0.97 + layout.ear_w * 0.3;
  canvas.Focus({{{layout.cx - lobe_dx - 4 * r, lobe_y - 2 * r},
                 {layout.cx + lobe_dx + 4 * r, lobe_y + 6 * r}}});
  cv::Mat mask = canvas.NewMask();
  cv::Mat layer = canvas.Layer();
  for (int i = 0; i < 2; ++i) {
    const cv::Point2d lobe(layout.cx + (i == 0 ? -lobe_dx : lobe_dx), lobe_y);
    if (kind == 2) {
      Poly hoop = Ellipse({lobe.x, lobe.y + r * 1.6}, r * 1.6, r * 1.8, 20);
      canvas.Stroke(&mask, hoop, 2.5, 255, true);
      canvas.Stroke(&layer, hoop, 2.5, metal, true);
    } else {
      Poly stud = Ellipse({lobe.x, lobe.y + (kind == 1 ? r * 1.5 : 0)}, r,
                          r * (kind == 1 ? 1.4 : 1.0), 16);
      canvas.Fill(&mask, stud, 255);
      canvas.Fill(&layer, stud, metal);
    }
  }
  canvas.PaintLayer(kEarring, mask, layer);
  cv::Mat jewels_here = canvas.View(jewels);
  jewels_here |= mask;
}

// 16 necklace: a sagging chain, sometimes with a pendant, at the neck base.
void FaceDrawing::PaintNecklace() {
  if (!necklace) return;

  const cv::Scalar metal = rng.Bernoulli(0.6)
                               ? Jitter(rng, {220, 180, 60}, 25)
                               : Jitter(rng, {235, 230, 225}, 15);
  const double y0 = layout.shoulder_y - rng.Uniform(5, 25);
  const double sag = rng.Uniform(15, 50);
  Poly chain;
  for (int k = 0; k <= 16; ++k) {
    const double u = -1.0 + 2.0 * k / 16;
    chain.emplace_back(layout.cx + u * neck_half * 1.1, y0 + sag * (1 - u * u));
  }
  const double thick = rng.Uniform(2.5, 6);
  const bool pendant = rng.Bernoulli(0.4);
  const Poly drop = Ellipse({layout.cx, y0 + sag + 6}, 6, 8, 12);
  canvas.Focus({chain, drop}, thick);
  cv::Mat mask = canvas.NewMask();
  cv::Mat layer = canvas.Layer();
  canvas.Stroke(&mask, chain, thick, 255);
  canvas.Stroke(&layer, chain, thick, metal);
  if (pendant) {
    canvas.Fill(&mask, drop, 255);
    canvas.Fill(&layer, drop, Scale(metal, 0.85));
  }
  canvas.PaintLayer(kNecklace, mask, layer);
  cv::Mat jewels_here = canvas.View(jewels);
  jewels_here |= mask;
}

// 17 neck: from behind the jaw down into the chest skin of the neckline,
// behind the face and the jewellery.
void FaceDrawing::PaintNeck() {
  const double top = layout.cy + layout.b * 0.3;
  const double spread = neck_half * rng.Uniform(1.6, 2.2);
  Poly neck = {{layout.cx - neck_half, top},
               {layout.cx + neck_half, top},
               {layout.cx + neck_half * 1.05, layout.shoulder_y - 20},
               {layout.cx + spread, layout.shoulder_y + 30},
               {layout.cx + spread, kCanonicalSide + 120},
               {layout.cx - spread, kCanonicalSide + 120},
               {layout.cx - spread, layout.shoulder_y + 30},
               {layout.cx - neck_half * 1.05, layout.shoulder_y - 20}};
  canvas.Focus({neck});
  cv::Mat mask = canvas.Mask(neck);
  mask.setTo(0, canvas.View(face));
  mask.setTo(0, canvas.View(jewels));
  cv::Mat layer = canvas.Layer(Scale(skin, 0.97));
  // The jaw's shadow on the neck.
  canvas.Fill(&layer,
              Ellipse({layout.cx, layout.cy + layout.b * 0.95}, neck_half * 1.1,
                      22, 20),
              Scale(skin, 0.78));
  canvas.PaintLayer(kNeck, mask, layer);
}

// 18 cloth: shoulders with a round or V neckline, plain, striped or folded.
void FaceDrawing::PaintCloth() {
  const double sw = layout.a * rng.Uniform(1.7, 2.3);
  const double y = layout.shoulder_y;
  Poly body = {{layout.cx - neck_half * 1.1, y - 8},
               {layout.cx - sw * 0.7, y + 10},
               {layout.cx - sw, y + 55},
               {layout.cx - sw - 40, kCanonicalSide + 150},
               {layout.cx + sw + 40, kCanonicalSide + 150},
               {layout.cx + sw, y + 55},
               {layout.cx + sw * 0.7, y + 10},
               {layout.cx + neck_half * 1.1, y - 8}};
  canvas.Focus({body});
  cv::Mat mask = canvas.Mask(body);
  const double depth = rng.Uniform(15, 90);
  const double open = neck_half * rng.Uniform(0.8, 1.4);
  Poly neckline = rng.Bernoulli(0.5)
                      ? Poly{{layout.cx - open, y - 20},
                             {layout.cx + open, y - 20},
                             {layout.cx, y + depth}}
                      : Arc({layout.cx, y - 20}, open, depth + 20, 0, kPi, 16);
  canvas.Fill(&mask, neckline, 0);
  const cv::Scalar color = RandomColor(rng, 10, 240);
  cv::Mat layer = canvas.Layer(color);
  if (rng.Bernoulli(0.3)) {
    const cv::Scalar stripe = RandomColor(rng, 10, 240);
    const double gap = rng.Uniform(12, 32), width = rng.Uniform(3, 10);
    const bool vertical = rng.Bernoulli(0.5);
    for (double t = -60; t < kCanonicalSide + 160; t += gap) {
      canvas.Stroke(&layer,
                    vertical ? Poly{{t, y - 40}, {t, kCanonicalSide + 150}}
                             : Poly{{-100, t}, {kCanonicalSide + 100, t}},
                    width, stripe);
    }
  }
  for (int k = 0; k < 4; ++k) {
    const double x = layout.cx + rng.Uniform(-1.0, 1.0) * sw;
    const double top = y + rng.Uniform(10, 40);
    const double drift = rng.Uniform(-40, 40);
    const double width = rng.Uniform(2, 6);
    canvas.Stroke(&layer, {{x, top}, {x + drift, kCanonicalSide + 40}}, width,
                  Scale(color, 0.8));
  }
  canvas.PaintLayer(kCloth, mask, layer);
}

void FaceDrawing::Darken(const Poly& poly, double amount, double soften,
                         double stroke) {
  canvas.Focus({poly}, soften * 2.5 + stroke);
  cv::Mat shape = canvas.NewMask();
  if (stroke > 0) {
    canvas.Stroke(&shape, poly, stroke, 255);
  } else {
    canvas.Fill(&shape, poly, 255);
  }
  cv::Mat soft;
  shape.convertTo(soft, CV_32FC1, amount / 255.0);
  const double sigma = std::max(0.5, soften * canvas.size() / kCanonicalSide);
  cv::GaussianBlur(soft, soft, cv::Size(0, 0), sigma);
  cv::Mat view = canvas.View(canvas.image());
  for (int y = 0; y < view.rows; ++y) {
    uint8_t* px = view.ptr<uint8_t>(y);
    const float* k = soft.ptr<float>(y);
    for (int x = 0; x < view.cols; ++x) {
      for (int c = 0; c < 3; ++c) {
        px[3 * x + c] =
            cv::saturate_cast<uint8_t>(px[3 * x + c] * (1.0f - k[x]));
      }
    }
  }
}

// Real skin is rarely flat: light and shade vary smoothly over it
// (cheekbones, temples, forehead), folds run from the nose to the mouth
// corners, and older faces have wrinkles. All of it stays skin; a model
// that has seen only flat skin calls such texture hair or brow.
void FaceDrawing::ShadeSkinRelief() {
  canvas.Unfocus();
  const cv::Mat& labels = canvas.labels();
  cv::Mat skin_mask = (labels == kSkin) | (labels == kNose) |
                      (labels == kNeck) | (labels == kLeftEar) |
                      (labels == kRightEar);
  cv::Mat weight;
  skin_mask.convertTo(weight, CV_32FC1, 1.0 / 255);
  cv::GaussianBlur(weight, weight, cv::Size(0, 0),
                   std::max(0.5, 3.0 * canvas.size() / kCanonicalSide));
  constexpr int kField = 6;
  const double depth = rng.Uniform(0.03, 0.2);
  cv::Mat field(kField, kField, CV_32FC1);
  for (int y = 0; y < kField; ++y) {
    for (int x = 0; x < kField; ++x) {
      field.at<float>(y, x) = static_cast<float>(rng.Uniform(-depth, depth));
    }
  }
  cv::Mat gain;
  cv::resize(field, gain, canvas.image().size(), 0, 0, cv::INTER_CUBIC);
  cv::Mat& image = canvas.image();
  for (int y = 0; y < image.rows; ++y) {
    uint8_t* px = image.ptr<uint8_t>(y);
    const float* w = weight.ptr<float>(y);
    const float* g = gain.ptr<float>(y);
    for (int x = 0; x < image.cols; ++x) {
      if (w[x] <= 0) continue;
      const float f = 1.0f + g[x] * w[x];
      for (int c = 0; c < 3; ++c) {
        px[3 * x + c] = cv::saturate_cast<uint8_t>(px[3 * x + c] * f);
      }
    }
  }
  // Hollows under the cheekbones and a lit forehead.
  const double hollow = rng.Uniform(0, 0.22);
  for (double side : {-1.0, 1.0}) {
    Darken(Ellipse({layout.cx + side * layout.a * 0.62,
                    layout.nose_base + layout.b * 0.08},
                   layout.a * 0.24, layout.b * 0.22, 20),
           hollow, layout.a * 0.12);
  }
  Darken(
      Ellipse({fx, layout.hairline + (layout.eye_y - layout.hairline) * 0.45},
              layout.a * 0.5, (layout.eye_y - layout.hairline) * 0.25, 20),
      -rng.Uniform(0, 0.15), layout.a * 0.15);
  // The nose ridge catches the light.
  const double nx = layout.cx + layout.yaw * 1.3;
  Darken({{nx, layout.nose_top + 10}, {nx, layout.nose_base - 14}},
         -rng.Uniform(0, 0.2), 3, rng.Uniform(4, 9));
  const double mx = layout.cx + layout.yaw * 1.1;
  if (rng.Bernoulli(0.6)) {  // Nasolabial folds.
    const double amount = rng.Uniform(0.08, 0.3);
    const double width = rng.Uniform(2, 6);
    for (double side : {-1.0, 1.0}) {
      const cv::Point2d from(nx + side * layout.nose_w * 0.6,
                             layout.nose_base - layout.nose_w * 0.2);
      const cv::Point2d to(mx + side * layout.mouth_w * 0.62,
                           layout.mouth_y + layout.lip_lo * 0.8);
      const cv::Point2d bend((from.x + to.x) / 2 + side * 8,
                             (from.y + to.y) / 2);
      Darken({from, bend, to}, amount, 2.5, width);
    }
  }
  if (rng.Bernoulli(0.3)) {  // Forehead wrinkles.
    const int lines = static_cast<int>(rng.UniformInt(2, 4));
    const double amount = rng.Uniform(0.06, 0.22);
    const double brow_y = layout.eye_y - layout.eye_up - layout.brow_gap -
                          layout.brow_thick * 1.5;
    for (int i = 0; i < lines; ++i) {
      const double y = brow_y - 12 - i * rng.Uniform(10, 18);
      const double half = layout.a * rng.Uniform(0.3, 0.6);
      const double bow = rng.Uniform(-6, 6);
      Darken({{fx - half, y + bow}, {fx, y}, {fx + half, y + bow}}, amount, 1.5,
             rng.Uniform(1.5, 3.5));
    }
  }
}

void FaceDrawing::ShadeAndGroom() {
  ShadeSkinRelief();
  // Closed lips meet in a dark line; lids fold above the eyes.
  const double lips_x = layout.cx + layout.yaw * 1.1;
  if (layout.open == 0) {
    Poly crease;
    for (int k = 0; k <= 16; ++k) {
      const double u = (-1.0 + 2.0 * k / 16) * 0.95;
      crease.emplace_back(lips_x + u * layout.mouth_w / 2,
                          layout.mouth_y - layout.smile * u * u);
    }
    Darken(crease, rng.Uniform(0.25, 0.6) * feature_contrast, 1.5,
           rng.Uniform(2, 4));
  }
  const double lid = rng.Uniform(0.05, 0.3);
  for (double side : {-1.0, 1.0}) {
    const double ex = fx + side * layout.eye_dx;
    Poly fold;
    for (int k = 0; k <= 12; ++k) {
      const double u = -0.9 + 1.8 * k / 12;
      fold.emplace_back(
          ex + u * layout.eye_w / 2,
          layout.eye_y - layout.eye_up * (1.5 * std::pow(1 - u * u, 0.8)));
    }
    Darken(fold, lid, 1.5, 2.5);
  }
  // Eye sockets: the brow ridge shades the eye and the skin around it.
  const double socket = rng.Uniform(0.08, 0.4);
  for (double side : {-1.0, 1.0}) {
    const double ex = fx + side * layout.eye_dx;
    Darken(
        Ellipse({ex, layout.eye_y - layout.eye_up * 0.4}, layout.eye_w * 0.75,
                layout.eye_up + layout.brow_gap * 0.7, 24),
        socket, layout.eye_w * 0.15);
  }
  // Under the nose and the lower lip.
  const double nx = layout.cx + layout.yaw * 1.3;
  Darken(Ellipse({nx, layout.nose_base + 4}, layout.nose_w * 0.45, 6, 16),
         rng.Uniform(0.05, 0.3), 5);
  const double mx = layout.cx + layout.yaw * 1.1;
  Darken(Ellipse({mx, layout.mouth_y + layout.open / 2 + layout.lip_lo + 8},
                 layout.mouth_w * 0.35, 7, 16),
         rng.Uniform(0.05, 0.3), 6);
  // Moustache and beard, only where the label is skin.
  const bool moustache = rng.Bernoulli(0.3);
  const bool beard = rng.Bernoulli(0.15);
  if (!moustache && !beard) return;
  const cv::Scalar color = bald || rng.Bernoulli(0.3)
                               ? RandomColor(rng, 30, 200)
                               : Scale(hair, rng.Uniform(0.7, 1.0));
  const double density = rng.Uniform(0.55, 0.95);
  canvas.Unfocus();
  cv::Mat groom = canvas.NewMask();
  if (moustache) {
    const double half = layout.mouth_w / 2 * rng.Uniform(1.0, 1.25);
    const double thick = rng.Uniform(10, 22);
    const double droop = rng.Uniform(0, 12);
    Poly line;
    for (int k = 0; k <= 16; ++k) {
      const double u = -1.0 + 2.0 * k / 16;
      line.emplace_back(mx + u * half, layout.mouth_y - layout.open / 2 -
                                           layout.lip_up - thick * 0.3 +
                                           droop * u * u);
    }
    canvas.Stroke(&groom, line, thick, 255);
  }
  if (beard) {
    Poly chin_region;
    const Poly outline = FaceOutline(layout);
    const double top = layout.mouth_y -
                       rng.Uniform(0, 1) * (layout.mouth_y - layout.nose_base);
    for (const cv::Point2d& p : outline) {
      if (p.y >= top) chin_region.push_back(p);
    }
    if (chin_region.size() >= 3) canvas.Fill(&groom, chin_region, 255);
  }
  groom.setTo(0, canvas.labels() != kSkin);
  cv::Mat soft;
  groom.convertTo(soft, CV_32FC1, density / 255.0);
  cv::GaussianBlur(soft, soft, cv::Size(0, 0),
                   std::max(0.5, 1.5 * canvas.size() / kCanonicalSide));
  cv::Mat& image = canvas.image();
  uint64_t state = rng.Next() | 1;
  for (int y = 0; y < image.rows; ++y) {
    uint8_t* px = image.ptr<uint8_t>(y);
    const float* k = soft.ptr<float>(y);
    for (int x = 0; x < image.cols; ++x) {
      if (k[x] <= 0) continue;
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      const float strand =
          0.75f + 0.5f * static_cast<float>(state & 0xFF) / 255.0f;
      for (int c = 0; c < 3; ++c) {
        const float hair_value = static_cast<float>(color[c]) * strand;
        px[3 * x + c] = cv::saturate_cast<uint8_t>(
            px[3 * x + c] * (1.0f - k[x]) + hair_value * k[x]);
      }
    }
  }
}

// Finish: anti-aliasing, light from one side with the face's edges in
// shade, and fine grain.
void FaceDrawing::Finish() {
  cv::GaussianBlur(canvas.image(), canvas.image(), cv::Size(3, 3), 0.7);
  cv::Mat shade_small(64, 64, CV_32FC1);
  {
    cv::Mat body = face | ears;
    cv::Mat body_small;
    cv::resize(body, body_small, shade_small.size(), 0, 0, cv::INTER_AREA);
    body_small.convertTo(body_small, CV_32FC1, 1.0 / 255);
    cv::GaussianBlur(body_small, body_small, cv::Size(7, 7), 1.6);
    const double angle = rng.Uniform(0, 2 * kPi);
    const double strength = rng.Uniform(0.0, 0.35);
    const double lx = std::cos(angle) * strength,
                 ly = std::sin(angle) * strength;
    for (int yy = 0; yy < 64; ++yy) {
      for (int xx = 0; xx < 64; ++xx) {
        const double dir = 1.0 + (lx * (xx - 32) + ly * (yy - 32)) / 64.0;
        shade_small.at<float>(yy, xx) = static_cast<float>(
            dir * (0.86 + 0.14 * body_small.at<float>(yy, xx)));
      }
    }
  }
  cv::Mat shade;
  cv::resize(shade_small, shade, canvas.image().size(), 0, 0, cv::INTER_LINEAR);
  // Grain from a cheap xorshift: two uniforms per pixel, summed, give a
  // triangular distribution of width +-grain.
  const float grain = static_cast<float>(rng.Uniform(2.0, 8.0));
  uint64_t state = rng.Next() | 1;
  for (int y = 0; y < canvas.size(); ++y) {
    uint8_t* px = canvas.image().ptr<uint8_t>(y);
    const float* sh = shade.ptr<float>(y);
    for (int x = 0; x < canvas.size(); ++x) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      const float g = grain *
                      (static_cast<float>(state & 0xFFFF) +
                       static_cast<float>((state >> 16) & 0xFFFF) - 65535.0f) /
                      65535.0f;
      for (int c = 0; c < 3; ++c) {
        px[3 * x + c] = cv::saturate_cast<uint8_t>(px[3 * x + c] * sh[x] + g);
      }
    }
  }
}

}  // namespace

FaceSample PaintSyntheticFace(uint64_t seed, uint64_t index, int size) {
  FaceDrawing d(seed, index, size);
  PaintBackground(d.rng, &d.canvas);
  d.PaintSkin();
  d.PaintNose();
  d.PaintGlasses();
  d.PaintEyes();
  d.PaintBrows();
  d.PaintEars();
  d.PaintMouth();
  d.PaintHair();
  d.PaintHat();
  d.PaintEarrings();
  d.PaintNecklace();
  d.PaintNeck();
  d.PaintCloth();
  d.ShadeAndGroom();
  d.Finish();
  FaceSample sample;
  sample.image = d.canvas.image();
  sample.labels = d.canvas.labels();
  sample.name =
      "synthetic:" + std::to_string(seed) + ":" + std::to_string(index);
  return sample;
}

}  // namespace facet
