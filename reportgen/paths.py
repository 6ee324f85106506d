"""Where the project's own files live: templates, assets and shipped configuration."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_DIR / "templates"
ASSETS_DIR = TEMPLATES_DIR / "assets"
CONFIG_DIR = PROJECT_DIR / "config"

CAMPAIGN_LOG = "campaigns.yaml"  # per unit, in its output folder: campaigns carried out
