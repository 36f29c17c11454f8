"""Jiuzhu evaluation: Indicator templates, multi-party evaluation rounds, recipient surveys, staff assessments, published results."""

SCHEMA = "evaluation"
VERSION = "0.1.0"
