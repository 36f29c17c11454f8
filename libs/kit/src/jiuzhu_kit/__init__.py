"""Jiuzhu shared kit: only what every service really needs."""
