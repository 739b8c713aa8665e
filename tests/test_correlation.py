import numpy as np
import pytest
from skimage import data

from helpers import smooth_image
from noise2info.correlation import CORRELATED, noise_correlation
from noise2info.data.camera import CameraPipeline, demosaic_bilinear, mosaic


def colour_images():
    return [np.moveaxis(im() / 255.0, -1, 0) for im in (data.astronaut, data.coffee)]


@pytest.mark.parametrize("std", [0.05, 0.2])
def test_white_noise_reads_uncorrelated(std):
    rng = np.random.default_rng(0)
    images = [smooth_image((128, 128), seed=s)[None] + rng.normal(0, std, (1, 128, 128)) for s in range(3)]
    found = noise_correlation(images)
    assert not found["correlated"] and found["max"] < 0.1
    assert all(abs(v) < 0.1 for v in found["lags"].values())


def test_demosaiced_camera_noise_reads_correlated():
    rng = np.random.default_rng(1)
    pipeline = CameraPipeline(a=0.002, b=0.002)
    pairs = [pipeline.apply(c, rng) for c in colour_images()]
    found = noise_correlation([noisy for _, noisy in pairs])
    assert found["correlated"] and found["max"] >= CORRELATED
    # The readout matches the correlation of the true noise, measured the same way.
    truth = noise_correlation([noisy - ref for ref, noisy in pairs])
    assert found["lags"]["0,1"] == pytest.approx(truth["lags"]["0,1"], abs=0.05)


def test_row_noise_is_correlated_along_rows_only():
    rng = np.random.default_rng(2)
    pipeline = CameraPipeline(a=0.002, row_std=0.03, tone=False)
    noisy = [pipeline.apply(smooth_image((256, 256), seed=s)[None], rng)[1] for s in range(3)]
    lags = noise_correlation(noisy)["lags"]
    assert lags["0,1"] > 0.3 and abs(lags["1,0"]) < 0.15


def test_too_small_images_give_no_estimate():
    found = noise_correlation([np.zeros((1, 12, 12))])
    assert found["max"] is None and not found["correlated"] and found["blocks"] == 0


def test_bilinear_demosaic_keeps_a_flat_colour_and_the_sampled_values():
    flat = np.ones((3, 16, 16)) * np.array([0.2, 0.5, 0.7])[:, None, None]
    assert np.allclose(demosaic_bilinear(mosaic(flat)), flat)
    rgb = np.random.default_rng(3).random((3, 16, 16))
    raw = mosaic(rgb)
    back = demosaic_bilinear(raw)
    assert np.allclose(mosaic(back), raw)  # every sampled value is kept where it was sampled


def test_camera_pipeline_reference_is_the_noise_free_path_and_seeded():
    clean = colour_images()[0][:, :128, :128]
    quiet = CameraPipeline(a=0.0, b=0.0, quantise=False)
    ref, noisy = quiet.apply(clean, np.random.default_rng(0))
    assert np.allclose(ref, noisy)
    a = CameraPipeline(jpeg=90).apply(clean, np.random.default_rng(5))
    b = CameraPipeline(jpeg=90).apply(clean, np.random.default_rng(5))
    assert np.array_equal(a[1], b[1]) and a[1].shape == clean.shape
    assert 0 <= a[1].min() and a[1].max() <= 1


def test_black_borders_and_sharpened_noise():
    rng = np.random.default_rng(4)
    image = np.zeros((1, 256, 256))
    image[:, 32:-32, 32:-32] = smooth_image((192, 192), seed=1) + rng.normal(0, 0.1, (192, 192))
    found = noise_correlation([image])  # the empty border is not taken for flat noise
    assert found["max"] is not None and abs(found["max"]) < 0.1
    from scipy.ndimage import convolve1d

    white = rng.normal(0, 0.1, (1, 256, 256))
    sharpened = convolve1d(white, [-1.0, 3.0, -1.0], axis=2)  # lag-1 correlation -6/11
    found = noise_correlation([smooth_image((256, 256))[None] + sharpened])
    assert found["correlated"] and found["max"] < 0


def test_pd_roundtrip_and_it_breaks_neighbour_correlation():
    from noise2info.data.shuffle import pd_down, pd_up

    image = np.random.default_rng(6).random((3, 12, 18))
    subs = pd_down(image, 3)
    assert subs.shape == (9, 3, 4, 6) and np.array_equal(subs[4], image[:, 1::3, 1::3])
    assert np.array_equal(pd_up(subs, 3), image)
    rng = np.random.default_rng(7)
    ref, noisy = CameraPipeline(a=0.002, b=0.002).apply(colour_images()[0], rng)
    noise = noisy - ref + 0.5  # the noise alone: sub-images of a photo are mostly texture
    # Bilinear demosaicing spreads noise over 2 pixels for red and blue: stride 3 clears it.
    strides = {s: abs(noise_correlation(list(pd_down(noise, s)))["max"]) for s in (1, 2, 3)}
    assert strides[1] > CORRELATED and strides[2] < 0.3 and strides[3] < 0.05


def test_the_std_of_correlated_noise_is_read_through_the_share_pixel_differences_keep():
    """Noise smoothed by a 2 x 2 box (std 1, correlation 0.5 / 0.25 between neighbours) keeps a
    quarter of its variance in the diagonal Haar detail: the pixel-difference estimate reads
    half the std or less (its flattest blocks are picked by their neighbours, which the
    smoothing ties to them), and the share measured from the images puts most of it back."""
    from scipy.signal import convolve2d

    from noise2info.correlation import haar_share
    from noise2info.noise_level import direct_noise_std

    rng = np.random.default_rng(0)
    clean = smooth_image((192, 192)) * 4
    noise = convolve2d(rng.normal(size=(193, 193)), np.full((2, 2), 0.5), mode="valid")
    noisy = [(clean + noise)[None]]
    read = direct_noise_std(noisy, stds=[[1.0]])["sigma"]
    lags = noise_correlation(noisy)["lags"]
    assert haar_share({"0,1": 0.5, "1,0": 0.5, "1,1": 0.25, "1,-1": 0.25}) == 0.25
    assert read < 0.55  # the plain estimate
    assert read / np.sqrt(haar_share(lags)) == pytest.approx(1.0, abs=0.25)
    white = [(clean + rng.normal(size=clean.shape))[None]]
    assert haar_share(noise_correlation(white)["lags"]) == pytest.approx(1.0, abs=0.15)


def test_the_check_s_probe_carries_the_noise_correlation():
    from noise2info.correlation import correlated_probe

    lags = {"0,1": 0.5, "1,0": 0.5, "1,1": 0.25, "1,-1": 0.25, "0,2": 0.0, "2,0": 0.0}
    white = np.random.default_rng(0).standard_normal((2, 128, 128))
    probe = correlated_probe(white, lags)
    assert probe.var() == pytest.approx(1.0, abs=0.05)
    assert noise_correlation([probe])["lags"]["0,1"] == pytest.approx(0.5, abs=0.1)
    assert np.mean(probe[:, :, 1:] * probe[:, :, :-1]) == pytest.approx(0.5, abs=0.05)
    assert correlated_probe(white, None) is white


def test_jpeg_blocks_are_read_from_the_pixels():
    from noise2info.correlation import JPEG_GRID, jpeg_grid
    from noise2info.data.camera import jpeg_roundtrip

    rng = np.random.default_rng(0)
    # noise of 2.5 grey levels: quality 90 quantises it away inside smooth blocks
    image = np.clip(smooth_image((128, 128))[None] * 0.8 + 0.1 + rng.normal(0, 0.01, (1, 128, 128)), 0, 1)
    assert jpeg_grid(image[0]) < JPEG_GRID
    assert jpeg_grid(jpeg_roundtrip(np.repeat(image, 3, 0), 90)[1]) > JPEG_GRID
    assert jpeg_grid(np.zeros((16, 16))) is None


def _box_noise(rng, shape, k):
    """Unit-variance noise smoothed by a k x k box: correlation (k - |dy|)(k - |dx|) / k^2."""
    from scipy.signal import convolve2d

    white = rng.normal(size=(shape[0] + k - 1, shape[1] + k - 1))
    return convolve2d(white, np.full((k, k), 1.0 / k), mode="valid")


@pytest.mark.parametrize("k", [3, 4])
def test_the_covariance_is_read_unbent_out_to_three_pixels(k):
    """The block fit takes the slow part of correlated noise with the signal, so the lags read
    low past the nearest neighbours; solved through the fit's known bending they hold."""
    rng = np.random.default_rng(0)
    noisy = [
        smooth_image((256, 256), seed=s)[None] * 4 + _box_noise(rng, (256, 256), k)[None] for s in range(3)
    ]
    found = noise_correlation(noisy)
    for lag in ("0,1", "1,0", "1,1", "1,-1", "0,2", "2,0", "2,2", "0,3", "1,3", "3,3"):
        dy, dx = (abs(int(v)) for v in lag.split(","))
        truth = max(0, k - dy) * max(0, k - dx) / k**2
        assert found["covariance"][lag] == pytest.approx(truth, abs=0.06), lag
    assert found["lags"]["0,2"] < (k - 2) / k - 0.15  # as read, bent
    white = [smooth_image((256, 256), seed=s)[None] * 4 + rng.normal(size=(1, 256, 256)) for s in range(3)]
    assert all(abs(v) < 0.1 for v in noise_correlation(white)["covariance"].values())  # sampling error


def test_the_noise_s_correlation_between_channels_is_read_and_carried_by_the_probe():
    from noise2info.correlation import correlated_probe

    rng = np.random.default_rng(0)
    target = np.array([[1.0, 0.7, 0.5], [0.7, 1.0, 0.6], [0.5, 0.6, 1.0]])
    mix = np.linalg.cholesky(target)
    images = []
    for s in range(3):  # channels of unrelated content: the signal left in flat blocks is not shared
        clean = np.stack([smooth_image((256, 256), seed=3 * s + c) for c in range(3)])
        noise = np.stack([_box_noise(rng, (256, 256), 2) for _ in range(3)])
        images.append(clean + 0.1 * np.tensordot(mix, noise, axes=1))
    found = noise_correlation(images)["channels"]
    assert np.allclose(found, target, atol=0.1)
    assert noise_correlation([images[0][:1]])["channels"] is None  # one channel
    probe = correlated_probe(rng.standard_normal((3, 128, 128)), None, found)
    assert np.allclose(probe.reshape(3, -1).var(axis=1), 1.0, atol=0.05)
    assert np.allclose(np.corrcoef(probe.reshape(3, -1)), found, atol=0.05)


def _demosaiced_smooth_colour(a: float, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(reference, noisy)`` of three smooth 192 x 192 colour images through a camera with shot
    noise ``a`` (read noise 0.002) and bilinear demosaicing."""
    rng = np.random.default_rng(seed)
    pipeline = CameraPipeline(a=a, b=0.002)
    clean = [
        np.stack([smooth_image((192, 192), seed=3 * s + c) * 0.6 + 0.2 for c in range(3)]) for s in range(3)
    ]
    return [pipeline.apply(image, rng) for image in clean]


def test_each_colour_channel_s_noise_std_is_corrected_for_its_own_correlation():
    """Bilinear demosaicing samples green twice as densely as red and blue, so more of green's
    noise stays at the finest scale: one correction pooled over the channels reads green
    high and red and blue low; each channel's own correlation brings green to its truth and
    the three readings together. A grey plane (a run that trains on the channels apart) and a
    channel without a measurable block keep the pooled correction."""
    from noise2info.correlation import channel_correlations, channel_scales, difference_scale
    from noise2info.noise_level import direct_noise_std, image_noise_std

    pairs = _demosaiced_smooth_colour(a=0.002, seed=0)
    noisy = [x for _, x in pairs]
    lags, by_channel = noise_correlation(noisy)["lags"], [c["lags"] for c in channel_correlations(noisy)]
    for ref, x in pairs:
        std = x.reshape(3, -1).std(axis=1)
        truth = (x - ref).reshape(3, -1).std(axis=1) / std
        entry = direct_noise_std([x], stds=[std])["per_image"][0]
        pooled = np.asarray(image_noise_std(entry, std, lags=lags)) / truth
        own = np.asarray(image_noise_std(entry, std, lags=lags, lags_by_channel=by_channel)) / truth
        assert pooled[1] > 1.15 and own[1] == pytest.approx(1.0, abs=0.15)  # green
        assert pooled.max() / pooled.min() > 2.0 and own.max() / own.min() < 1.7
    assert channel_correlations([x[:1] for x in noisy]) is None
    assert channel_scales(lags, by_channel, 1) == [difference_scale(lags)]
    unread = [by_channel[0], {key: None for key in lags}, by_channel[2]]
    assert channel_scales(lags, unread, 3)[1] == difference_scale(lags)


def test_coarse_share_is_what_the_second_scale_keeps_of_correlated_noise():
    """The diagonal detail of the 2 x 2 means keeps a quarter of white noise's variance and,
    of noise filtered by a small kernel, what the kernel's autocorrelation says: the share
    :func:`coarse_share` computes from the correlation out to 3 pixels, against the variance
    measured on a large field of such noise."""
    from scipy.ndimage import convolve

    from noise2info.correlation import _COARSE, coarse_share, reach_lags
    from noise2info.noise_level import _haar

    assert coarse_share(None) == 1.0 and coarse_share({"0,1": 0.0}) == 1.0
    kernel = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])  # reaches 2 pixels
    kernel[0, 2] = -1.0  # not symmetric: lags (1, 1) and (1, -1) differ
    padded = np.pad(kernel, 3)  # noise k * w has covariance sum_j k(j) k(j + d) at lag d

    def auto(dy, dx):
        return float(np.sum(padded * np.roll(padded, (-dy, -dx), axis=(0, 1))))

    covariance = {f"{dy},{dx}": auto(dy, dx) / auto(0, 0) for dy, dx in reach_lags()[1:]}
    noise = convolve(np.random.default_rng(0).normal(size=(1024, 1024)), kernel, mode="wrap")
    _, detail, _ = _haar(_haar(noise)[0])
    measured = detail.var() / noise.var() / np.sum(_COARSE**2)
    assert coarse_share(covariance) == pytest.approx(measured, rel=0.03)
    assert abs(coarse_share(covariance) - 1) > 0.2  # the correlation matters at this scale


def test_the_noise_std_read_at_two_scales_is_closer_to_the_truth_under_demosaicing():
    """Demosaiced noise on smooth colour images: the finest-scale reading, corrected for each
    channel's correlation, reads red and blue a third low (the blocks judged flat by quiet
    neighbours pick quiet correlated noise); the geometric mean with the second scale's reading
    is closer to the truth on every channel, green stays within 15 %, and a run's plan carries
    the same reading (:func:`plan_image_noise_std`); without a covariance in the plan (JPEG'd or
    independent noise) the finest scale alone."""
    from noise2info.correlation import channel_correlations
    from noise2info.noise_level import direct_noise_std, image_noise_std, plan_image_noise_std
    from noise2info.plan import Plan

    pairs = _demosaiced_smooth_colour(a=0.004, seed=1)
    noisy = [x for _, x in pairs]
    pooled, own = noise_correlation(noisy), channel_correlations(noisy)
    plan = Plan(
        noise_lags=pooled["lags"],
        noise_lags_by_channel=[c["lags"] for c in own],
        noise_covariance=pooled["covariance"],
        noise_covariance_by_channel=[c["covariance"] for c in own],
    )
    for ref, x in pairs:
        std = x.reshape(3, -1).std(axis=1)
        truth = (x - ref).reshape(3, -1).std(axis=1) / std
        entry = direct_noise_std([x], stds=[std])["per_image"][0]
        assert all(c is not None for c in entry["coarse_channels"])
        finest = image_noise_std(entry, std, lags=plan.noise_lags, lags_by_channel=plan.noise_lags_by_channel)
        finest = np.asarray(finest)
        both = np.asarray(plan_image_noise_std(entry, std, plan))
        assert np.all(np.abs(np.log(both / truth)) < np.abs(np.log(finest / truth)))
        assert both[1] / truth[1] == pytest.approx(1.0, abs=0.15)  # green
        assert (finest / truth)[[0, 2]].max() < 0.8  # red and blue at the finest scale alone
        finest_only = plan.model_copy(update={"noise_covariance": None, "noise_covariance_by_channel": None})
        assert plan_image_noise_std(entry, std, finest_only) == pytest.approx(finest.tolist())
