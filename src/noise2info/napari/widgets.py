"""The dock widgets: Train, Denoise, Estimate noise.

Training and denoising run in a worker thread (napari's ``create_worker``); the worker puts
its progress on a queue that a timer in the GUI thread reads, so the viewer stays responsive
and Qt objects are only touched from the GUI thread.
"""

from __future__ import annotations

import queue
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from napari.layers import Image
from napari.qt.threading import create_worker
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..config import PRESETS, make_config
from .layers import default_dims, layer_data, layer_samples

# The models trained in this session, by name (newest last), and the widgets that list them.
TRAINED: dict[str, object] = {}
_LISTENERS: list = []
RUN_FOLDER = "a run folder..."
POLL_MS = 100


def register_model(name: str, model) -> None:
    """Offer ``model`` (a trained run: network and plan) to every Denoise widget under ``name``."""
    TRAINED[name] = model
    for listener in list(_LISTENERS):
        try:
            listener()
        except RuntimeError:  # its widget was deleted by Qt: forget it
            _LISTENERS.remove(listener)


def _image_layers(viewer) -> list[Image]:
    return [layer for layer in viewer.layers if isinstance(layer, Image)]


def _one_line(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return f"error: {text}"


class _LayerChoice(QComboBox):
    """A combo box of the viewer's image layers, kept in step with the layer list."""

    def __init__(self, viewer):
        super().__init__()
        self.viewer = viewer
        viewer.layers.events.inserted.connect(self.refresh)
        viewer.layers.events.removed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_):
        current = self.currentText()
        self.clear()
        self.addItems([layer.name for layer in _image_layers(self.viewer)])
        if current:
            self.setCurrentText(current)

    def layer(self) -> Image | None:
        name = self.currentText()
        return self.viewer.layers[name] if name in self.viewer.layers else None


class TrainWidget(QWidget):
    """Train a denoiser on one or more image layers, with live loss and sigma_loss curves."""

    def __init__(self, napari_viewer):
        super().__init__()
        self.viewer = napari_viewer
        self.layers = QListWidget()
        self.layers.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.layers.setMaximumHeight(90)
        self.dims = QComboBox()
        self.dims.addItems(["2D", "3D"])
        self.preset = QComboBox()
        self.preset.addItems(list(PRESETS))
        self.preset.setCurrentText("cpu")
        self.steps = QSpinBox()
        self.steps.setRange(1, 1_000_000)
        self.steps.setValue(300)
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.0, 10_000.0)
        self.minutes.setSpecialValueText("off (use steps)")
        self.save_to = QLineEdit()
        self.save_to.setPlaceholderText("optional: a new run folder to save to")
        self.understood = QLabel("pick one or more image layers")
        self.understood.setWordWrap(True)
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.readout = QLabel("")
        self.readout.setWordWrap(True)
        self.figure = Figure(figsize=(4, 2.6), tight_layout=True)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.ax_loss, self.ax_sigma = self.figure.subplots(1, 2)

        form = QFormLayout()
        form.addRow("images", self.layers)
        form.addRow("dimensions", self.dims)
        form.addRow("preset", self.preset)
        form.addRow("steps", self.steps)
        form.addRow("or minutes", self.minutes)
        form.addRow("save to", self.save_to)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.understood)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.canvas)
        layout.addWidget(self.readout)
        layout.addStretch()

        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.layers.itemSelectionChanged.connect(self._selection_changed)
        self.dims.currentTextChanged.connect(lambda _: self.describe())
        napari_viewer.layers.events.inserted.connect(self._refresh_layers)
        napari_viewer.layers.events.removed.connect(self._refresh_layers)
        self._refresh_layers()

        self.state = "idle"  # idle, training, done, stopped, failed
        self.result = None  # the TrainResult of a finished run
        self.model = None  # the run trained: a TrainResult, or the Trainer stopped (network + plan)
        self._queue: queue.Queue = queue.Queue()
        self._job: dict = {}
        self._curves: dict[str, list] = {"step": [], "loss": [], "sigma_step": [], "sigma_loss": []}
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._poll)

    # -- the layers and what was understood ----------------------------------------------
    def _refresh_layers(self, *_):
        chosen = {item.text() for item in self.layers.selectedItems()}
        self.layers.clear()
        for layer in _image_layers(self.viewer):
            self.layers.addItem(layer.name)
            if layer.name in chosen:
                self.layers.item(self.layers.count() - 1).setSelected(True)

    def select(self, *names: str) -> None:
        """Select the layers ``names`` (what a click does; for scripts and tests)."""
        for i in range(self.layers.count()):
            item = self.layers.item(i)
            item.setSelected(item.text() in names)

    def _selection_changed(self):
        chosen = self._chosen()
        if chosen:
            self.dims.setCurrentText(f"{default_dims(chosen[0].data, chosen[0].rgb)}D")
        self.describe()

    def _chosen(self) -> list[Image]:
        names = {item.text() for item in self.layers.selectedItems()}
        return [layer for layer in _image_layers(self.viewer) if layer.name in names]

    def samples(self) -> tuple[list[np.ndarray], str]:
        """The selected layers' samples and what was understood of them."""
        dims = int(self.dims.currentText()[0])
        samples, said = [], []
        for layer in self._chosen():
            found, understood = layer_samples(layer.data, layer.rgb, dims, layer.name)
            samples += [np.asarray(s, np.float32) for s in found]
            said.append(f"{layer.name}: {understood}")
        return samples, "; ".join(said)

    def describe(self) -> str:
        try:
            _, text = self.samples()
        except Exception as err:  # shown, not raised: the user is still choosing
            text = _one_line(err)
        self.understood.setText(text or "pick one or more image layers")
        return text

    # -- training ---------------------------------------------------------------------
    def start(self) -> None:
        samples, understood = self.samples()
        if not samples:
            self.readout.setText("pick one or more image layers first")
            return
        channels = {s.shape[0] for s in samples}
        if len(channels) > 1:
            self.readout.setText("error: the layers differ in channels; train on one kind at a time")
            return
        config = make_config(
            preset=self.preset.currentText(),
            steps=self.steps.value(),
            dims=int(self.dims.currentText()[0]),
            channels=channels.pop(),
        )
        save_to = self.save_to.text().strip() or None
        if save_to and Path(save_to).exists() and any(Path(save_to).iterdir()):
            self.readout.setText(f"error: {save_to} is not empty; choose a new run folder")
            return
        self.understood.setText(understood)
        self._curves = {k: [] for k in self._curves}
        self._queue = queue.Queue()
        self._job = {"stop": False}
        self.state, self.result, self.model = "training", None, None
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.progress.setRange(0, config.training.steps)
        self.progress.setValue(0)
        self.readout.setText("training...")
        minutes = self.minutes.value()
        worker = create_worker(_train_job, samples, config, minutes, self._queue, self._job)
        worker.returned.connect(self._finished)
        worker.errored.connect(self._failed)
        self._save_to = save_to
        self._timer.start(POLL_MS)
        worker.start()
        self.worker = worker

    def stop(self) -> None:
        """Ask the training to stop after the current step; the model so far is kept."""
        self._job["stop"] = True
        trainer = self._job.get("trainer")
        if trainer is not None:
            trainer.request_stop()
        self.stop_button.setEnabled(False)

    def _poll(self) -> None:
        changed = False
        while True:
            try:
                kind, *payload = self._queue.get_nowait()
            except queue.Empty:
                break
            if kind == "steps":
                self.progress.setRange(0, payload[0])
            elif kind == "step":
                step, record = payload
                self.progress.setValue(step)
                if record is not None:
                    self._curves["step"].append(step)
                    self._curves["loss"].append(record["loss"])
                    if record.get("sigma_loss") is not None:
                        self._curves["sigma_step"].append(step)
                        self._curves["sigma_loss"].append(record["sigma_loss"])
                    changed = True
            elif kind == "round":
                record = payload[0]
                read = record.get("sigma_readout")
                self.readout.setText(
                    f"step {record['step']}: sigma_loss {record['sigma_loss']:.4f}"
                    + (f", noise readout {read:.4f}" if read is not None else "")
                    + " (normalised units)"
                )
        if changed:
            self._draw()

    def _draw(self) -> None:
        c = self._curves
        self.ax_loss.clear()
        self.ax_loss.plot(c["step"], c["loss"], color="C0")
        self.ax_loss.set_title("loss", fontsize=8)
        self.ax_sigma.clear()
        self.ax_sigma.plot(c["sigma_step"], c["sigma_loss"], color="C1", drawstyle="steps-post")
        self.ax_sigma.set_title("sigma_loss", fontsize=8)
        for ax in (self.ax_loss, self.ax_sigma):
            ax.tick_params(labelsize=7)
        self.canvas.draw_idle()

    def _finished(self, outcome) -> None:
        self._poll()
        self._timer.stop()
        kind, value = outcome
        name = ", ".join(layer.name for layer in self._chosen()) or "model"
        if kind == "done":
            self.state, self.result, self.model = "done", value, value
            self.progress.setValue(value.config.training.steps)
            text = (
                f"done in {value.seconds:.0f} s: noise std {value.sigma:.4f}"
                if value.sigma is not None
                else f"done in {value.seconds:.0f} s"
            )
            if value.sigma_loss is not None:
                text += f", sigma_loss {value.sigma_loss:.4f}"
            if self._save_to:
                from ..run import save_run

                save_run(value, self._save_to)
                text += f"; saved to {self._save_to}"
            register_model(f"trained on {name}", value)
        else:  # the trainer itself: its network so far and its plan
            value.model.eval()
            self.state, self.model = "stopped", value
            text = f"stopped at step {value.steps_done}; the model so far is offered to Denoise"
            register_model(f"trained on {name} (stopped at {value.steps_done})", self.model)
        self.readout.setText(text + " (normalised units)" if "noise std" in text else text)
        self._draw()
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def _failed(self, err) -> None:
        self._timer.stop()
        self.state = "failed"
        self.readout.setText(_one_line(err))
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)


def _train_job(samples, config, minutes: float, progress: queue.Queue, job: dict):
    """The worker thread: train, report each step on ``progress``; ``('done', result)`` or
    ``('stopped', trainer)``."""
    from ..training import Trainer, TrainingInterrupted, fit_to_time

    if minutes:
        config = fit_to_time(samples, config, minutes * 60.0)
    trainer = Trainer(samples, config)
    job["trainer"] = trainer
    if job["stop"]:  # asked before the trainer existed
        trainer.request_stop()
    progress.put(("steps", config.training.steps))
    try:
        result = trainer.run(
            progress=False,
            on_step=lambda step, record: progress.put(("step", step, record)),
            on_round=lambda record: progress.put(("round", record)),
        )
    except TrainingInterrupted:
        return "stopped", trainer
    return "done", result


class DenoiseWidget(QWidget):
    """Denoise an image layer with a model trained in this session or a run folder; the
    result is a new layer named after the input."""

    def __init__(self, napari_viewer):
        super().__init__()
        self.viewer = napari_viewer
        self.layer = _LayerChoice(napari_viewer)
        self.model_choice = QComboBox()
        self.run_dir = QLineEdit()
        self.run_dir.setPlaceholderText("run folder (from noise2info train)")
        self.tile = QSpinBox()
        self.tile.setRange(0, 8192)
        self.tile.setSpecialValueText("automatic")
        self.tta = QCheckBox("average the 8 rotations / flips (TTA)")
        self.button = QPushButton("Denoise")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("image", self.layer)
        form.addRow("model", self.model_choice)
        form.addRow("run folder", self.run_dir)
        form.addRow("tile", self.tile)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.tta)
        layout.addWidget(self.button)
        layout.addWidget(self.status)
        layout.addStretch()
        self.button.clicked.connect(self.run)
        _LISTENERS.append(self.refresh_models)
        self.refresh_models()
        self.output = None  # the layer written last

    def refresh_models(self) -> None:
        self.model_choice.clear()
        self.model_choice.addItems([*reversed(TRAINED), RUN_FOLDER])

    def _model(self):
        choice = self.model_choice.currentText()
        if choice != RUN_FOLDER:
            return TRAINED[choice]
        folder = self.run_dir.text().strip()
        if not folder:
            raise ValueError("give a run folder, or train a model first")
        from ..run import load_run

        return load_run(folder)

    def run(self) -> None:
        layer = self.layer.layer()
        if layer is None:
            self.status.setText("pick an image layer first")
            return
        try:
            model = self._model()
            dims = model.model.config.dims
            samples, understood = layer_samples(layer.data, layer.rgb, dims, layer.name)
        except Exception as err:
            self.status.setText(_one_line(err))
            return
        self.status.setText(f"denoising {understood}...")
        self.button.setEnabled(False)
        worker = create_worker(
            _denoise_job, model, samples, self.tile.value() or None, self.tta.isChecked(), layer.name
        )
        worker.returned.connect(lambda outs: self._add(layer, outs))
        worker.errored.connect(self._failed)
        worker.start()
        self.worker = worker

    def _add(self, layer, outs) -> None:
        from ..io import cast_to

        data = cast_to(layer_data(outs, layer.data.shape, layer.rgb), layer.data.dtype)
        self.output = self.viewer.add_image(
            data,
            name=f"{layer.name} denoised",
            rgb=layer.rgb,
            scale=layer.scale,
            translate=layer.translate,
            contrast_limits=layer.contrast_limits,
        )
        self.status.setText(f"added layer '{self.output.name}'")
        self.button.setEnabled(True)

    def _failed(self, err) -> None:
        self.status.setText(_one_line(err))
        self.button.setEnabled(True)


def _denoise_job(model, samples, tile, tta, name):
    from ..prediction import denoise

    return [denoise(model, np.asarray(s), tile=tile, tta=tta, name=name) for s in samples]


class NoiseWidget(QWidget):
    """The noise level of an image layer from the noisy image alone; for one channel also the
    noise level function (std against intensity) and its Poisson-Gaussian fit."""

    def __init__(self, napari_viewer):
        super().__init__()
        self.viewer = napari_viewer
        self.layer = _LayerChoice(napari_viewer)
        self.dims = QComboBox()
        self.dims.addItems(["2D", "3D"])
        self.button = QPushButton("Estimate")
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.figure = Figure(figsize=(4, 2.8), tight_layout=True)
        self.canvas = FigureCanvasQTAgg(self.figure)
        form = QFormLayout()
        form.addRow("image", self.layer)
        form.addRow("dimensions", self.dims)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.button)
        layout.addWidget(self.result)
        layout.addWidget(self.canvas)
        layout.addStretch()
        self.button.clicked.connect(self.estimate)
        self.found: dict | None = None

    def estimate(self) -> dict | None:
        """Read the noise level (numpy only: fast enough for the GUI thread)."""
        from ..noise_level import direct_noise_level_function, direct_noise_std
        from ..plotting import draw_noise_level

        layer = self.layer.layer()
        if layer is None:
            self.result.setText("pick an image layer first")
            return None
        try:
            samples, understood = layer_samples(
                layer.data, layer.rgb, int(self.dims.currentText()[0]), layer.name
            )
            samples = [np.asarray(s, np.float64) for s in samples]
            direct = direct_noise_std(samples)
            stds = [e["sigma_intensity"] for e in direct["per_image"] if e["sigma_intensity"] is not None]
            found = {"understood": understood, "sigma": direct["sigma"], "sigma_intensity": None, "nlf": None}
            if stds:
                found["sigma_intensity"] = float(np.sqrt(np.mean(np.square(stds))))
            if samples[0].shape[0] == 1:
                found["nlf"] = direct_noise_level_function(samples)
        except Exception as err:
            self.result.setText(_one_line(err))
            return None
        lines = [understood]
        if found["sigma_intensity"] is None:
            lines.append("no noise level could be read (images too small or flat)")
        else:
            lines.append(
                f"noise std {found['sigma_intensity']:.4g} (intensity), {found['sigma']:.4f} (normalised)"
            )
        nlf = found["nlf"]
        self.figure.clear()
        if nlf is not None and nlf["a"] is not None:
            lines.append(
                "noise level function: variance = a * intensity + b^2, "
                f"a = {nlf['a']:.4g}, b = {nlf['b']:.4g}"
            )
            draw_noise_level(self.figure.add_subplot(111), nlf)
        self.canvas.draw_idle()
        self.result.setText("\n".join(lines))
        self.found = found
        return found
