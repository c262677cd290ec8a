"""Installed, the four application folders are one import name: `duban.workbooks`, `duban.jobs`,
`duban.mailer`, `duban.macros` (the repository keeps the four folders the client asked for).
Every sub-package is found, not listed, so a wheel never misses a folder added later."""
from setuptools import find_packages, setup

APPS = ("workbooks", "jobs", "mailer", "macros")

setup(package_dir={f"duban.{app}": app for app in APPS},
      packages=[f"duban.{name}" for name in find_packages(include=[f"{app}*" for app in APPS])])
