"""Jiuzhu gateway: the one public entrance."""

VERSION = "0.1.0"
