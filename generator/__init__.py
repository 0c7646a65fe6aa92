"""Build ``generated_client/useparagon_api`` from ``openapi/paragon.yaml``.

Run ``python -m generator`` to regenerate, or ``python -m generator --check`` to verify that the committed
package matches what the spec, ``config.yaml`` and ``templates/`` produce.
"""
