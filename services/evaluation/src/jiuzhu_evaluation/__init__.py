"""Jiuzhu evaluation: Indicator templates, multi-party evaluation rounds, recipient surveys, staff assessments, published results."""

SCHEMA = "evaluation"
VERSION = "0.1.0"
# Days (survey answers, appeal deadlines) are counted in China Standard Time: jiuzhu_kit.clock.
