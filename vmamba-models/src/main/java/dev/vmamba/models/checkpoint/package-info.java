/** Reading checkpoint files into state dicts and loading them into models. */
package dev.vmamba.models.checkpoint;
