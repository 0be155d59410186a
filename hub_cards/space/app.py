"""The TimeWarp demo Space: all of the app lives in ``timewarp_hf.demo`` (tested there); this file only
builds it with the models named in ``timewarp_demo.json`` (written by ``timewarp push space``) and launches
it with the upload limits."""

from timewarp_hf.demo import build_demo, launch_options, space_models

demo = build_demo(**space_models())

if __name__ == "__main__":
    demo.launch(**launch_options())
