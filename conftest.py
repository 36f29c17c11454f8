pytest_plugins = ["jiuzhu_devtools.testing"]
