"""One full generation into a scratch directory; nothing in the repository is touched here."""

from pathlib import Path

from generator import steps
from generator.settings import PACKAGE, header_for, shown_path


def build(spec: Path, output: Path) -> Path:
    """Generate the whole ``generated_client`` tree under ``output`` (which must not exist) and return it."""
    header = header_for(spec)
    package_dir = output / PACKAGE
    steps.validate_spec(spec)
    steps.generate_attrs_client(spec, package_dir)
    steps.remove_unused_modules(package_dir)
    steps.generate_operations(spec, package_dir, shown_path(spec))
    steps.add_headers(package_dir, header)
    # Left empty on purpose: PEP 561 only needs the file to exist.
    (package_dir / "py.typed").write_bytes(b"")
    steps.generate_wire_types(spec, package_dir, header)
    steps.format_package(package_dir)
    return output
