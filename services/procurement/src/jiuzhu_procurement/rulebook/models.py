"""The local rule packs a bureau submits (jiuzhu_kit.rules.local), in this service's schema."""

from jiuzhu_kit.rules.local import rule_pack_table
from jiuzhu_procurement.db import metadata

rule_pack = rule_pack_table(metadata)
