from jiuzhu_kit.migrations import run_env
from jiuzhu_staffing.models import metadata

run_env(metadata)
