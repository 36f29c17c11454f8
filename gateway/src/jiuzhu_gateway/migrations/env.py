from jiuzhu_gateway.models import metadata
from jiuzhu_kit.migrations import run_env

run_env(metadata)
