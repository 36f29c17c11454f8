from jiuzhu_kit.migrations import run_env
from jiuzhu_procurement.models import metadata

run_env(metadata)
